"""Places of API requests waiting on a project's guests, shared by every
API worker and host (see instance.guest_waits): slots 0 to the cap - 1 of
each project, each held by one request until ``held_until`` (the
database's clock, epoch seconds)."""

import sqlalchemy as sa

from trove_lite.db import coordination_models
from trove_lite.db import sql
from trove_lite.db.repositories import rate_limits

_G = coordination_models.GuestCallSlot.__table__


def _lock_slots(tx, project, slots):
    return tx.execute(sa.select(_G.c.slot, _G.c.held_until)
                      .where(_G.c.project_id == project,
                             _G.c.slot < slots)
                      .order_by(_G.c.slot).with_for_update()).all()


def take(tx, project_id, slots, holder, hold_for):
    """Take a free slot among the project's first ``slots`` for
    ``holder``, for ``hold_for`` seconds; False when every one is held.
    A slot whose holder did not give it back in time (a worker that
    died) is free again."""
    project = rate_limits.project_key(project_id)
    # Locked until the transaction ends: racing requests of the project
    # take slots one after the other.
    rows = _lock_slots(tx, project, slots)
    if len(rows) < slots:
        for slot in range(slots):
            tx.execute(sql.insert_ignore(_G).values(
                project_id=project, slot=slot, holder=None,
                held_until=None))
        rows = _lock_slots(tx, project, slots)
    # Read after the lock: the newest time of any racing request.
    now = rate_limits.now(tx)
    free = sa.or_(_G.c.held_until.is_(None), _G.c.held_until <= now)
    for slot, held_until in rows:
        if held_until is None or held_until <= now:
            # Conditional as well: taken only if still free, whatever the
            # database's locking.
            taken = tx.execute(_G.update().where(
                _G.c.project_id == project, _G.c.slot == slot, free).values(
                    holder=holder, held_until=now + hold_for)).rowcount
            if taken:
                return True
    return False


def give_back(tx, project_id, holder):
    """Free the slot ``holder`` holds (nothing when its lease ran out and
    another request took it since)."""
    tx.execute(_G.update().where(
        _G.c.project_id == rate_limits.project_key(project_id),
        _G.c.holder == holder).values(holder=None, held_until=None))


def held(conn, project_id):
    """How many of the project's slots are held now."""
    return conn.execute(sa.select(sa.func.count()).where(
        _G.c.project_id == rate_limits.project_key(project_id),
        _G.c.held_until > rate_limits.now(conn))).scalar()
