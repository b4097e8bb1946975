"""The process's engines and the two ways the service layer uses them:
``transaction()`` for writes (and reads that must see them), ``read()``
for single-statement reads on autocommit connections (one round trip
each: the hot paths)."""

import contextlib
import threading
import time

import sqlalchemy as sa

from trove_lite.conf import CONF
from trove_lite.db import retry

_ENGINES = {}
_LOCK = threading.Lock()

# A connection idle this long is pinged before use (a busy one is not: the
# ping would cost a round trip per request).
IDLE_PING_SECONDS = 5.0


def _create_engine(autocommit):
    url = CONF.database.connection
    if url.startswith('sqlite'):
        # An in-memory database (unit tests) exists once, shared by every
        # thread; SQLite has no server round trips to save.
        return sa.create_engine(url, poolclass=sa.pool.StaticPool,
                                connect_args={'check_same_thread': False})
    # A fixed number of connections, kept: a connection made per request
    # (pool overflow) costs more than the request itself. Threads beyond
    # it wait for one.
    kwargs = {'pool_size': CONF.database.max_pool_size, 'max_overflow': 0,
              'pool_recycle': CONF.database.connection_recycle_time}
    if not any(option.startswith('ssl')
               for option in sa.engine.make_url(url).query):
        # PyMySQL otherwise prepares TLS for every new connection (loading
        # the CA store, ~50 ms) in case the server offers it; a URL that
        # asks for TLS (ssl_ca=..., ssl_verify_cert=...) keeps it.
        kwargs['connect_args'] = {'ssl_disabled': True}
    if not autocommit:
        # Pinged at every checkout: a transaction cannot be repeated by
        # ``transaction()`` as a read is, so it must not start on a
        # connection the server dropped. No ROLLBACK on return to the
        # pool: a transaction ends in commit or rollback, and a
        # connection closed inside one rolls it back itself.
        return sa.create_engine(url, pool_pre_ping=True,
                                pool_reset_on_return=None, **kwargs)
    # The autocommit engine serves the hot reads: it pings only
    # connections that sat idle (_ping_if_idle); one the server dropped
    # meanwhile fails one statement, which ``read`` repeats. Connections
    # born in autocommit mode: no BEGIN, no ROLLBACK on return to the
    # pool, one round trip per statement.
    engine = sa.create_engine(url, isolation_level='AUTOCOMMIT',
                              skip_autocommit_rollback=True, **kwargs)
    sa.event.listen(engine, 'checkin', _note_idle_since)
    sa.event.listen(engine, 'checkout', _ping_if_idle)
    return engine


def _note_idle_since(dbapi_connection, connection_record):
    connection_record.info['idle_since'] = time.monotonic()


def _ping_if_idle(dbapi_connection, connection_record, proxy):
    idle_since = connection_record.info.get('idle_since')
    if idle_since is None or \
            time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping(reconnect=False)
    except Exception as error:
        # The pool replaces the connection and tries the next one.
        raise sa.exc.DisconnectionError(str(error)) from error


def get_engine(autocommit=False):
    """The process's engine, built on first use (after any fork). The
    ``autocommit`` engine serves single statements (reads, heartbeats)."""
    with _LOCK:
        if not _ENGINES:
            _ENGINES[False] = _create_engine(autocommit=False)
            _ENGINES[True] = (_ENGINES[False]
                              if _ENGINES[False].dialect.name == 'sqlite'
                              else _create_engine(autocommit=True))
    return _ENGINES[autocommit]


def dispose():
    """Close every pooled connection and forget the engines (the next use
    builds them again, from the configuration as it is then)."""
    with _LOCK:
        for engine in set(_ENGINES.values()):
            engine.dispose()
        _ENGINES.clear()


@contextlib.contextmanager
def transaction():
    """A begun transaction, committed when the block ends and rolled back
    when it raises: ``with db.transaction() as tx:``, then hand ``tx`` to
    repository functions. What they write together is seen together or
    not at all."""
    with get_engine().begin() as connection:
        yield connection


@contextlib.contextmanager
def autocommit():
    """A connection on which each statement commits on its own."""
    with get_engine(autocommit=True).connect() as connection:
        yield connection


@retry.retry_once_on_disconnect
def read(query, *args, **kwargs):
    """``query(connection, *args, **kwargs)`` on an autocommit connection:
    a repository read, run once more if the server had dropped the pooled
    connection (reads are idempotent)."""
    with autocommit() as connection:
        return query(connection, *args, **kwargs)
