"""The ids of the sealed envelopes the control plane's receivers accepted
(see common.seen_ids): shared by every conductor and taskmanager worker,
kept across restarts until their time window closes.

Every sealed message is remembered before it is dispatched, so the ids
are written in batches (common.batching): one transaction reads the
batch's instances' counts and which of its ids are known, decides each id
as if they had been remembered one at a time in arrival order, and
inserts the new ones with one multi-row statement. Should another worker
have inserted one of them meanwhile, the batch is rolled back and its
ids are remembered one at a time, each insert deciding."""

import threading

import sqlalchemy as sa

from trove_lite.common import batching
from trove_lite.common import seen_ids
from trove_lite.db import coordination_models
from trove_lite.db import engine
from trove_lite.db import retry
from trove_lite.db import sql

_M = coordination_models.SealedMessageId.__table__

# Every this many accepted ids, a process deletes those past their time.
_FORGET_EXPIRED_EVERY = 500


class _Raced(Exception):
    """Another worker inserted an id of the batch after it was read."""


def _remember_one(tx, instance_id, message_id, keep_until, now, limit):
    kept = tx.execute(sa.select(sa.func.count()).where(
        _M.c.instance_id == instance_id,
        _M.c.keep_until >= now)).scalar()
    if kept >= limit:
        return seen_ids.TOO_MANY
    # The key is (instance, id): a racing worker given the same message
    # inserts nothing.
    inserted = tx.execute(sql.insert_ignore(_M).values(
        instance_id=instance_id, message_id=message_id,
        keep_until=keep_until)).rowcount
    # (An id past its time is refused by its time check before it gets
    # here.)
    return None if inserted else seen_ids.REPLAYED


def _remember_batch(tx, items):
    """Decide ``items`` ((instance, id, keep until, now, limit) each) in
    order; raises _Raced when the insert finds an id taken since."""
    now = min(item[3] for item in items)
    instance_ids = sorted({item[0] for item in items})
    kept = dict(tx.execute(
        sa.select(_M.c.instance_id, sa.func.count())
        .where(_M.c.instance_id.in_(instance_ids), _M.c.keep_until >= now)
        .group_by(_M.c.instance_id)).all())
    known = {tuple(row) for row in tx.execute(
        sa.select(_M.c.instance_id, _M.c.message_id).where(
            sa.tuple_(_M.c.instance_id, _M.c.message_id).in_(
                sorted({item[:2] for item in items}))))}
    answers, new = [], []
    for instance_id, message_id, keep_until, _, limit in items:
        if (instance_id, message_id) in known:
            answers.append(seen_ids.REPLAYED)
        elif kept.get(instance_id, 0) >= limit:
            answers.append(seen_ids.TOO_MANY)
        else:
            known.add((instance_id, message_id))
            kept[instance_id] = kept.get(instance_id, 0) + 1
            new.append({'instance_id': instance_id,
                        'message_id': message_id, 'keep_until': keep_until})
            answers.append(None)
    if new and tx.execute(
            sql.insert_ignore(_M).values(new)).rowcount != len(new):
        raise _Raced()
    return answers


class DatabaseSeenIds:
    """common.seen_ids's store interface, in the database."""

    def __init__(self):
        self._accepted = 0
        self._lock = threading.Lock()
        self._batches = batching.Batcher(self._remember_all)

    def remember(self, instance_id, message_id, keep_until, now, limit):
        return self._batches.submit(
            (instance_id, message_id, keep_until, now, limit))

    @retry.retry_on_deadlock
    def _remember_all(self, items):
        try:
            with engine.transaction() as tx:
                answers = _remember_batch(tx, items)
        except _Raced:
            answers = []
            for item in items:
                with engine.transaction() as tx:
                    answers.append(_remember_one(tx, *item))
        with self._lock:
            before = self._accepted
            self._accepted += answers.count(None)
            forget = (before // _FORGET_EXPIRED_EVERY !=
                      self._accepted // _FORGET_EXPIRED_EVERY)
        if forget:
            with engine.transaction() as tx:
                tx.execute(_M.delete().where(
                    _M.c.keep_until < min(item[3] for item in items)))
        return answers
