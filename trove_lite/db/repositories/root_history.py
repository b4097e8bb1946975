"""When root was last enabled on each instance, and by whom (Trove's
``root_enabled_history``): Trove answers "is root enabled" from it, not
by asking the guest."""

import sqlalchemy as sa

from trove_lite.db import models
from trove_lite.db import sql

_R = models.RootEnabledHistory.__table__


def is_enabled(conn, instance_id):
    """Whether root was enabled and not disabled since."""
    row = conn.execute(sa.select(_R.c.created, _R.c.deleted_at).where(
        _R.c.id == instance_id)).first()
    return row is not None and not (row.deleted_at
                                    and row.deleted_at >= row.created)


def record_first(tx, instance_id, user):
    """Record the first enable of root by ``user``; whether this was the
    first (racing first enables insert one row, without IntegrityError).
    When it was not, record_again decides, in a transaction of its own."""
    return bool(tx.execute(sql.insert_ignore(_R).values(
        id=instance_id, user=user, created=models.utcnow(),
        deleted_at=None)).rowcount)


def record_again(tx, instance_id, user):
    """Record an enable by ``user`` if root was disabled since the last
    one (is_enabled's rule), in one statement: of racing enables, the
    first one stays; an enable while root is enabled keeps the first
    record, as Trove does."""
    tx.execute(_R.update().where(
        _R.c.id == instance_id, _R.c.deleted_at.is_not(None),
        _R.c.deleted_at >= _R.c.created).values(
        user=user, created=models.utcnow(), deleted_at=None))


def record_disable(tx, instance_id):
    tx.execute(_R.update().where(_R.c.id == instance_id)
               .values(deleted_at=models.utcnow()))
