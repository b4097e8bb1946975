"""Which instances replicate from which (Trove's ``slave_of_id``)."""

import sqlalchemy as sa

from trove_lite.db import models

_I = models.Instance.__table__


def replica_ids(conn, source_id):
    """The ids of the undeleted replicas of ``source_id``, in id order."""
    return list(conn.execute(
        sa.select(_I.c.id).where(_I.c.slave_of_id == source_id,
                                 _I.c.deleted.is_(False))
        .order_by(_I.c.id)).scalars())


def lock_source(tx, source_id):
    """Lock the source's row for the rest of ``tx``: replicas are added
    and counted under it, so two requests cannot both take the last
    place."""
    tx.execute(sa.select(_I.c.id).where(_I.c.id == source_id)
               .with_for_update())


def set_source(tx, instance_id, source_id):
    """Make ``instance_id`` a replica of ``source_id`` (None: of none)."""
    tx.execute(_I.update().where(_I.c.id == instance_id).values(
        slave_of_id=source_id, updated=models.utcnow()))


def set_automatic_failover(tx, instance_id, automatic):
    tx.execute(_I.update().where(_I.c.id == instance_id).values(
        automatic_failover=bool(automatic), updated=models.utcnow()))


def automatic_failover_sources(conn):
    """Undeleted instances with automatic failover that have replicas."""
    replica = _I.alias('replica')
    return list(conn.execute(
        sa.select(_I.c.id).distinct()
        .join(replica, replica.c.slave_of_id == _I.c.id)
        .where(_I.c.automatic_failover.is_(True), _I.c.deleted.is_(False),
               replica.c.deleted.is_(False))
        .order_by(_I.c.id)).scalars())
