"""What guests report: the service status of each instance with the
volume usage measured for it, and the conductor's lastseen guard (the
newest ``sent`` stamp applied per instance and RPC method), which drops
reports older than one already applied.

The conductor applies heartbeats in batches (apply_batch): one transaction
locks the batch's status and lastseen rows, decides every report as if
they had been applied one at a time in the order they arrived (decide),
and writes the outcome with one multi-row statement per table.
"""

import dataclasses

import sqlalchemy as sa

from trove_lite.db import models
from trove_lite.db import sql
from trove_lite.records.status import ServiceStatuses

_I = models.Instance.__table__
_S = models.InstanceServiceStatus.__table__
_L = models.ConductorLastSeen.__table__


def service_status(conn, instance_id):
    """The status the guest of an instance reported last, or None."""
    row = conn.execute(sa.select(_S.c.status_id).where(
        _S.c.instance_id == instance_id)).first()
    return None if row is None else ServiceStatuses.from_code(row[0])


def set_service_status(tx, instance_id, status):
    """Set the service status outside of a heartbeat (taskmanager/API)."""
    tx.execute(_S.update().where(_S.c.instance_id == instance_id).values(
        status_id=status.code, status_description=status.description,
        updated_at=models.utcnow()))


def lastseen(conn, instance_id):
    """The guest clock stamp of the newest heartbeat applied, or None."""
    return conn.execute(sa.select(_L.c.sent).where(
        _L.c.instance_id == instance_id,
        _L.c.method_name == 'heartbeat')).scalar()


def forget_lastseen(tx, instance_id):
    tx.execute(_L.delete().where(_L.c.instance_id == instance_id))


@dataclasses.dataclass(frozen=True)
class Report:
    """One heartbeat: ``status`` None reports only its time, ``sent`` None
    (an old guest) skips the lastseen guard, ``usage`` is the checked
    volume usage ({'used', 'used_percent'}) or None, ``lag`` a replica's
    seconds behind its source or None."""

    instance_id: str
    status: ServiceStatuses | None
    sent: float | None
    usage: dict | None = None
    lag: int | None = None


@dataclasses.dataclass
class _Row:
    """An instance's status and guard as a batch leaves them."""

    status_row_id: str
    status_code: int
    lastseen: float | None
    report: Report | None = None  # the last one applied


def decide(reports, rows):
    """The batch ordering rule: each report is decided against the state
    the reports before it in the batch left, exactly as applying them one
    at a time in arrival order would. A report applies when its ``sent``
    is newer than the instance's lastseen (or it has none); it changes the
    status unless the status is the same or RESTART_REQUIRED (which stays
    until a restart clears it). ``rows``: instance id -> _Row of the live
    instances (updated in place). Returns (applied, changed) per report."""
    outcomes = []
    for report in reports:
        row = rows.get(report.instance_id)
        if row is None or (report.sent is not None and
                           row.lastseen is not None and
                           report.sent <= row.lastseen):
            outcomes.append((False, False))
            continue
        if report.sent is not None:
            row.lastseen = report.sent
        changed = (report.status is not None and
                   row.status_code != report.status.code and
                   row.status_code != ServiceStatuses.RESTART_REQUIRED.code)
        if changed:
            row.status_code = report.status.code
        row.report = report
        outcomes.append((True, changed))
    return outcomes


def _locked_rows(tx, instance_ids):
    """The live instances' status and guard rows, locked (status rows
    first, in index order: two conductors lock a shared batch in the same
    order, and a delete takes the status row before the guard's)."""
    statuses = {instance_id: (row_id, code) for instance_id, row_id, code
                in tx.execute(
                    sa.select(_S.c.instance_id, _S.c.id, _S.c.status_id)
                    .where(_S.c.instance_id.in_(instance_ids))
                    .order_by(_S.c.instance_id).with_for_update())}
    seen = dict(tx.execute(
        sa.select(_L.c.instance_id, _L.c.sent)
        .where(_L.c.instance_id.in_(list(statuses)),
               _L.c.method_name == 'heartbeat')
        .order_by(_L.c.instance_id).with_for_update()).all()) \
        if statuses else {}
    live = {row[0] for row in tx.execute(
        sa.select(_I.c.id).where(_I.c.id.in_(list(statuses)),
                                 _I.c.deleted.is_(False)))} \
        if statuses else set()
    return {instance_id: _Row(row_id, code, seen.get(instance_id))
            for instance_id, (row_id, code) in statuses.items()
            if instance_id in live}


def _write(tx, rows):
    """The batch's outcome: one statement for the status rows, one for
    the guard rows (both upserts of one shape, compiled once: a batch
    costs its round trips, not a statement build). Every applied row is
    written whole; the batch holds the status rows' locks, so what it
    writes back unchanged is what is there."""
    applied = [(instance_id, row) for instance_id, row in rows.items()
               if row.report is not None]
    if not applied:
        return
    now = models.utcnow()
    sql.upsert(tx, _S, ['id'], [
        {'id': row.status_row_id, 'instance_id': instance_id,
         'status_id': row.status_code,
         'status_description': ServiceStatuses.from_code(
             row.status_code).description,
         'created_at': now, 'updated_at': now,
         'volume_used': (row.report.usage or {}).get('used'),
         'volume_used_percent': (row.report.usage or {}).get(
             'used_percent'),
         'replication_lag': row.report.lag}
        for instance_id, row in applied],
        updated=['status_id', 'status_description', 'updated_at',
                 'volume_used', 'volume_used_percent', 'replication_lag'])
    # decide only ever raises lastseen, under the status rows' locks.
    guarded = [{'instance_id': instance_id, 'method_name': 'heartbeat',
                'sent': row.lastseen}
               for instance_id, row in applied if row.lastseen is not None]
    if guarded:
        sql.upsert(tx, _L, ['instance_id', 'method_name'], guarded,
                   updated=['sent'])


def apply_batch(tx, reports):
    """Apply ``reports`` (Reports) in ``tx`` by the rule of decide;
    returns (applied, changed) per report. A stale report, or one for an
    unknown or deleted instance, writes nothing."""
    rows = _locked_rows(tx, sorted({r.instance_id for r in reports}))
    outcomes = decide(reports, rows)
    _write(tx, rows)
    return outcomes
