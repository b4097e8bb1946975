"""What a database error means to its caller, and the two ways of trying
again: a service-side write waits out a short outage; an idempotent
statement whose pooled connection the server had dropped runs once more."""

import functools
import logging
import random
import time

import sqlalchemy as sa

from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)


def is_unavailable(error):
    """Whether an error means the database cannot be reached (as opposed
    to a bad statement)."""
    return isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError,
                              sa.exc.TimeoutError))


def retry_on_unavailable(function):
    """Retry a service-side write while the database is unreachable (up
    to ``[database] max_retries`` times), so a short outage delays the
    write instead of losing it."""
    @functools.wraps(function)
    def retrying(*args, **kwargs):
        attempt = 0
        while True:
            try:
                return function(*args, **kwargs)
            except sa.exc.SQLAlchemyError as error:
                attempt += 1
                if not is_unavailable(error) or \
                        attempt > CONF.database.max_retries:
                    raise
                LOG.warning('Database unavailable (%s); retry %d of %d in '
                            '%.1f s', type(error).__name__, attempt,
                            CONF.database.max_retries,
                            CONF.database.retry_interval)
                time.sleep(CONF.database.retry_interval)
    return retrying


def retry_once_on_disconnect(function):
    """Run an idempotent statement again once if its connection had been
    dropped by the server (SQLAlchemy then invalidates the stale pool)."""
    @functools.wraps(function)
    def retrying(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except sa.exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
            return function(*args, **kwargs)
    return retrying


# InnoDB's ER_LOCK_DEADLOCK: it rolled back the whole transaction to
# break a lock cycle with another one; nothing of it was written.
_DEADLOCK = 1213
# Twenty creates at once in one project take turns on its usage rows:
# five quick attempts were not always enough.
_DEADLOCK_ATTEMPTS = 10


def is_deadlock(error):
    orig = getattr(error, 'orig', None)
    return isinstance(error, sa.exc.OperationalError) and \
        bool(getattr(orig, 'args', None)) and orig.args[0] == _DEADLOCK


def retry_on_deadlock(function):
    """Run a transaction again when the database chose it as a deadlock
    victim (it was rolled back whole), up to a few times with a short
    random pause: racing writers of the same rows (two conductors, two
    API processes) take turns instead of one of them failing."""
    @functools.wraps(function)
    def retrying(*args, **kwargs):
        for attempt in range(1, _DEADLOCK_ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except sa.exc.OperationalError as error:
                if not is_deadlock(error) or attempt == _DEADLOCK_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0, 0.02 * attempt))
    return retrying
