"""Quota limits an admin set per project, and what each project uses.

A usage row is changed only under its row lock, in the transaction that
creates or deletes what uses it, so concurrent requests cannot pass a
limit."""

import sqlalchemy as sa

from trove_lite.common import exceptions
from trove_lite.db import models
from trove_lite.db import sql

_Q = models.Quota.__table__
_U = models.QuotaUsage.__table__


def limits(conn, tenant_id):
    """The hard limits an admin set for a project: {resource: limit}."""
    return dict(conn.execute(sa.select(_Q.c.resource, _Q.c.hard_limit)
                             .where(_Q.c.tenant_id == tenant_id)).all())


def set_limits(tx, tenant_id, hard_limits):
    """Set hard limits ({resource: limit}) of a project."""
    now = models.utcnow()
    for resource, hard_limit in hard_limits.items():
        mine = (_Q.c.tenant_id == tenant_id, _Q.c.resource == resource)
        if tx.execute(_Q.update().where(*mine).values(
                hard_limit=hard_limit, updated=now)).rowcount:
            continue
        inserted = tx.execute(
            sql.insert_ignore(_Q).values(
                id=sql.new_id(), created=now, updated=now,
                tenant_id=tenant_id, resource=resource,
                hard_limit=hard_limit)).rowcount
        if not inserted:  # a concurrent request inserted it first
            tx.execute(_Q.update().where(*mine).values(
                hard_limit=hard_limit, updated=now))


def usages(conn, tenant_id):
    """What a project uses: {resource: in_use} (missing: nothing)."""
    return dict(conn.execute(sa.select(_U.c.resource, _U.c.in_use)
                             .where(_U.c.tenant_id == tenant_id)).all())


def missing_usage_rows(conn, tenant_id, resources):
    """Which of ``resources`` the project has no usage row of yet (rows
    are never deleted: once there, there for good)."""
    present = set(conn.execute(sa.select(_U.c.resource).where(
        _U.c.tenant_id == tenant_id,
        _U.c.resource.in_(resources))).scalars())
    return sorted(set(resources) - present)


def ensure_usage_rows(tx, tenant_id, resources):
    """Create the project's missing usage rows of ``resources`` (a racing
    request may have made some meanwhile). Run in a transaction of its
    own before the one that changes them: that one then only locks rows
    that exist (inserting there could deadlock racing first requests)."""
    now = models.utcnow()
    for resource in missing_usage_rows(tx, tenant_id, resources):
        tx.execute(sql.insert_ignore(_U).values(
            id=sql.new_id(), created=now, updated=now, tenant_id=tenant_id,
            resource=resource, in_use=0))


def add_usage(tx, tenant_id, deltas, hard_limits=None):
    """Add ``deltas`` ({resource: amount}, negative frees) to a project's
    usage (rows made by ensure_usage_rows). The rows stay locked until
    ``tx`` ends, so racing requests check and add one after the other.
    With ``hard_limits``, QuotaExceeded when an addition would pass one
    (-1: unlimited); the caller's transaction then rolls back."""
    locked = tx.execute(
        sa.select(_U.c.resource, _U.c.in_use)
        .where(_U.c.tenant_id == tenant_id,
               _U.c.resource.in_(sorted(deltas)))
        .order_by(_U.c.resource).with_for_update()).all()
    in_use = dict(locked)
    if hard_limits is not None:
        over = sorted(resource for resource, amount in deltas.items()
                      if amount > 0 and hard_limits[resource] >= 0 and
                      in_use[resource] + amount > hard_limits[resource])
        if over:
            raise exceptions.QuotaExceeded(overs=over)
    # One statement for all the rows: the locks are held until the
    # caller's commit, and each round trip under them delays every racing
    # request of the project.
    tx.execute(_U.update().where(
        _U.c.tenant_id == tenant_id, _U.c.resource.in_(sorted(deltas)))
        .values(in_use=sa.case(
            {resource: max(0, in_use[resource] + amount)
             for resource, amount in deltas.items()},
            value=_U.c.resource), updated=models.utcnow()))
