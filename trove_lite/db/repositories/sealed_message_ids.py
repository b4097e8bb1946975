"""The ids of the sealed envelopes the control plane's receivers accepted
(see common.seen_ids): shared by every conductor and taskmanager worker,
kept across restarts until their time window closes."""

import itertools
import threading

import sqlalchemy as sa

from trove_lite.common import seen_ids
from trove_lite.db import engine
from trove_lite.db import models
from trove_lite.db import sql

_M = models.SealedMessageId.__table__

# Every this many accepted ids, a process deletes those past their time.
_FORGET_EXPIRED_EVERY = 500



class DatabaseSeenIds:
    """common.seen_ids's store interface, in the database."""

    def __init__(self):
        self._accepted = itertools.count(1)
        self._lock = threading.Lock()

    def remember(self, instance_id, message_id, keep_until, now, limit):
        with engine.transaction() as tx:
            kept = tx.execute(sa.select(sa.func.count()).where(
                _M.c.instance_id == instance_id,
                _M.c.keep_until >= now)).scalar()
            if kept >= limit:
                return seen_ids.TOO_MANY
            # The key is (instance, id): a racing worker given the same
            # message inserts nothing.
            inserted = tx.execute(sql.insert_ignore(_M).values(
                instance_id=instance_id, message_id=message_id,
                keep_until=keep_until)).rowcount
            # (An id past its time is refused by its time check before
            # it gets here.)
            if not inserted:
                return seen_ids.REPLAYED
        with self._lock:
            forget = next(self._accepted) % _FORGET_EXPIRED_EVERY == 0
        if forget:
            with engine.transaction() as tx:
                tx.execute(_M.delete().where(_M.c.keep_until < now))
        return None
