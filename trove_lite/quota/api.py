"""Quotas: how much of each resource a project may use.

Trove's resources: ``instances`` (count), ``ram`` (MB of flavor RAM),
``volumes`` (GB) and ``backups`` (count). A project's limit is the one an
admin set (``PUT /mgmt/quotas/{project}``), else the config default
``max_<resource>_per_tenant``; -1 means unlimited.

Usage changes in the same database transaction as the rows that use it:
the service that writes them calls ``prepare(change)`` first, then
``apply(tx, change)`` in its transaction, which locks the project's usage
rows until it ends. So concurrent creates cannot pass a limit and a failed
create leaves no usage behind. There are no separate reservations:
``reserved`` is always 0 in the API.
"""

import dataclasses
import logging

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db.repositories import quotas

LOG = logging.getLogger(__name__)

# Trove's order, which GET /mgmt/quotas and /limits keep.
RESOURCES = ('instances', 'ram', 'backups', 'volumes')

_DEFAULT_OPTIONS = {
    'instances': 'max_instances_per_tenant',
    'ram': 'max_ram_per_tenant',
    'backups': 'max_backups_per_tenant',
    'volumes': 'max_volumes_per_tenant',
}

UNLIMITED = -1

# The largest limit the quotas table holds (a signed 32-bit column).
MAX_LIMIT = 2 ** 31 - 1


@dataclasses.dataclass(frozen=True)
class UsageChange:
    """Amounts a change adds to a project's usage (negative: frees).

    With ``limits`` ({resource: limit}) the additions are checked against
    them; a release has none.
    """

    project_id: str
    deltas: dict
    limits: dict | None = None


def default_limits():
    return {resource: CONF[_DEFAULT_OPTIONS[resource]]
            for resource in RESOURCES}


def get_limits(project_id):
    """{resource: limit} of a project, in RESOURCES order."""
    limits = default_limits()
    limits.update((resource, limit) for resource, limit
                  in db.read(quotas.limits, project_id).items()
                  if resource in limits)
    return limits


def get_usages(project_id):
    """[(resource, in_use, limit)] of a project, in RESOURCES order."""
    limits = get_limits(project_id)
    usages = db.read(quotas.usages, project_id)
    return [(resource, usages.get(resource, 0), limits[resource])
            for resource in RESOURCES]


def set_limits(project_id, limits):
    """Store validated limits ({resource: limit}) for a project."""
    with db.transaction() as tx:
        quotas.set_limits(tx, project_id, limits)
    LOG.info('Quota limits of project %s set: %s', project_id, limits)


def check_limit(resource, limit):
    """Trove's checks of one integer limit of a quota update, in Trove's
    order: at least -1, then a known resource; and one of ours first,
    that the limit fits the column that keeps it."""
    if limit > MAX_LIMIT:
        raise exceptions.QuotaLimitTooLarge(limit=limit, resource=resource,
                                            maximum=MAX_LIMIT)
    if limit < UNLIMITED:
        raise exceptions.QuotaLimitTooSmall(limit=limit, resource=resource)
    if resource not in RESOURCES:
        raise exceptions.QuotaResourceUnknown(unknown=resource)


def _instance_deltas(ram, volume_size):
    deltas = {'instances': 1, 'ram': ram}
    if volume_size:
        deltas['volumes'] = volume_size
    return deltas


def instance_charge(project_id, flavor, volume_size, count=1):
    """The usage ``count`` new instances add, checked against the
    limits."""
    deltas = _instance_deltas(flavor.ram, volume_size)
    return UsageChange(project_id, {resource: amount * count for
                                    resource, amount in deltas.items()},
                       get_limits(project_id))


def instance_release(record, flavor):
    """The usage a deleted instance frees: its volume, and the RAM of
    ``flavor``, its recorded flavor (None when that is gone)."""
    if flavor is None:
        LOG.warning('Flavor %s of instance %s is gone: its RAM stays '
                    'counted in the quota usage of project %s',
                    record.flavor_id, record.id, record.tenant_id)
    ram = flavor.ram if flavor is not None else 0
    deltas = _instance_deltas(ram, record.volume_size)
    return UsageChange(record.tenant_id,
                       {resource: -amount for resource, amount
                        in deltas.items()})


def _resize_deltas(ram, volumes):
    return {resource: amount for resource, amount
            in (('ram', ram), ('volumes', volumes)) if amount}


def resize_charge(record, ram=0, volumes=0):
    """The usage a resize of ``record``'s instance adds (RAM in MB, volume
    GB), checked against the limits; None when it adds nothing."""
    deltas = _resize_deltas(ram, volumes)
    if not deltas:
        return None
    return UsageChange(record.tenant_id, deltas,
                       get_limits(record.tenant_id))


def resize_refund(record, ram=0, volumes=0):
    """The change that gives back what ``resize_charge`` with the same
    arguments charged (a resize that did not happen); None for nothing.
    Reads no limits: a refund is never checked."""
    deltas = _resize_deltas(ram, volumes)
    if not deltas:
        return None
    return refund(UsageChange(record.tenant_id, deltas))


def refund(change):
    """The change that gives back what ``change`` charged (a resize that
    did not happen); None for None."""
    if change is None:
        return None
    return UsageChange(change.project_id,
                       {resource: -amount for resource, amount
                        in change.deltas.items()})


def prepare(change):
    """Make the usage rows ``change`` (a UsageChange or None) touches that
    its project lacks, in a transaction of their own: call it before the
    transaction that applies the change. Once a project has them (nearly
    always), one read: no transaction, no commit."""
    if change is not None and db.read(quotas.missing_usage_rows,
                                      change.project_id,
                                      list(change.deltas)):
        with db.transaction() as tx:
            quotas.ensure_usage_rows(tx, change.project_id,
                                     list(change.deltas))


def apply(tx, change):
    """Apply ``change`` (prepared; None: nothing) in the caller's
    transaction ``tx``, checked against its limits if it has any:
    QuotaExceeded then rolls back everything ``tx`` wrote."""
    if change is not None:
        quotas.add_usage(tx, change.project_id, change.deltas,
                         change.limits)


def apply_alone(change):
    """Apply ``change`` in a transaction of its own (a refund that goes
    with no other write); None: nothing."""
    if change is None:
        return
    prepare(change)
    with db.transaction() as tx:
        apply(tx, change)
