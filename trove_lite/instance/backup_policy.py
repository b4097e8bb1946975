"""Backup policies and point-in-time restore: an instance's policy (set at
create or with ``PUT /instances/{id}``), the window it can be restored to,
and what a restore to a second of that window replays.

With a policy the guest archives its binary log (guestagent
mysql_binlog) and reports the span it archived through the conductor;
the taskmanager's policy task (taskmanager.backup_policies) takes the
automated backups and expires what is past the retention. An instance
can be restored to any second from the end of its oldest backup whose
binlog position is archived to the last second its guest archived.
"""

import dataclasses
import datetime
import logging

from oslo_utils import timeutils

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db.repositories import backup_policies
from trove_lite.db.repositories import backups
from trove_lite.db.repositories import instances
from trove_lite.instance import keys
from trove_lite.instance import restore as backup_restore
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.storage import grants

LOG = logging.getLogger(__name__)

# How far ahead of the control plane's clock a guest's report may be.
_CLOCK_SKEW = datetime.timedelta(seconds=60)


@dataclasses.dataclass
class PolicyRequest:
    """A validated ``backup_policy``."""

    retention_days: int
    window_start: int
    window_end: int


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def archive_settings(project_id):
    """Where a guest of ``project_id`` archives its binary log."""
    return {'project_id': project_id,
            'container': CONF.backup_swift_container}


def with_grant(settings, instance_id):
    """``settings`` with the grant the guest of ``instance_id`` keeps its
    archive with (a fresh one: sent again before it expires)."""
    return dict(settings, storage=grants.for_binlog_archive(
        settings['project_id'], settings['container'], instance_id))


def archive_span(since, until):
    """A guest's report (epoch seconds) as UTC datetimes, checked: since
    before until, neither ahead of now."""
    if any(isinstance(v, bool) or not isinstance(v, (int, float))
           for v in (since, until)):
        raise TypeError('since and until are not numbers')
    since, until = (datetime.datetime.fromtimestamp(int(v), datetime.UTC)
                    .replace(tzinfo=None) for v in (since, until))
    if since > until or until > timeutils.utcnow() + _CLOCK_SKEW:
        raise ValueError('the span is reversed or in the future')
    return since, until


def add_to_new_instance(tx, instance_id, project_id, request):
    """Record the policy of an instance being created (in its create's
    transaction)."""
    backup_policies.put(tx, instance_id, project_id, request.retention_days,
                        request.window_start, request.window_end)


def put(context, record, request):
    """Set (a PolicyRequest) or remove (None) the policy of an instance
    (a record from instance.api.get); its guest starts or stops
    archiving."""
    with db.transaction() as tx:
        if request is None:
            backup_policies.end(tx, record.id)
        else:
            backup_policies.put(tx, record.id, record.tenant_id,
                                request.retention_days, request.window_start,
                                request.window_end)
    LOG.info('Backup policy of %s %s', record.id,
             'removed' if request is None else 'set')
    guest_rpcapi.API(record.id, keys.key_of(record.id)).set_binlog_archive(
        context, None if request is None else
        with_grant(archive_settings(record.tenant_id), record.id))


def _usable_backups(policy):
    """The completed backups of the policy's instance that a restore can
    start from (taken after its archive begins), oldest first."""
    if policy.archived_since is None:
        return []
    # A volume snapshot records no binlog position to replay from.
    return [backup for backup in db.read(backups.completed,
                                         policy.instance_id)
            if backup.created >= policy.archived_since
            and not backup.is_volume_backup]


def restorable(policy, usable=None):
    """(earliest, latest) the policy's instance restores to, or None."""
    if policy is None or policy.archived_until is None:
        return None
    usable = _usable_backups(policy) if usable is None else usable
    if not usable or usable[0].updated > policy.archived_until:
        return None
    return usable[0].updated, policy.archived_until


def view(policy):
    """The instance view's ``backup_policy`` and ``restorable``."""
    window = restorable(policy)
    return {'backup_policy': {'retention_days': policy.retention_days,
                              'window': policy.window},
            'restorable': None if window is None else {
                'earliest': iso(window[0]), 'latest': iso(window[1])}}


def restore_point_info(context, instance_ref, restore_time, version,
                       volume_size):
    """What a new instance restores to be instance ``instance_ref`` of
    the caller's project (deleted or not) as at the second
    ``restore_time``: the newest backup chain ending before it, and the
    archived binlog to replay up to it. 404 for an instance the caller's
    project does not have; 400 without a policy or outside the window."""
    source = db.read(instances.find, instance_ref, context.project_id,
                     include_deleted=True)
    if source is None:
        raise exceptions.InstanceNotFound(uuid=instance_ref)
    policy = db.read(backup_policies.find, source.id, context.project_id,
                     include_ended=True)
    if policy is None:
        raise exceptions.BadRequest(
            f'Instance {source.id} has no backup policy: it cannot be '
            f'restored to a point in time.')
    usable = _usable_backups(policy)
    window = restorable(policy, usable)
    if window is None:
        raise exceptions.BadRequest(
            f'Instance {source.id} cannot be restored to a point in time '
            f'yet: it has no backup taken since its binary log is '
            f'archived.')
    if not window[0] <= restore_time <= window[1]:
        raise exceptions.BadRequest(
            f'{iso(restore_time)} is outside the window instance '
            f'{source.id} can be restored to: {iso(window[0])} to '
            f'{iso(window[1])}.')
    start = [b for b in usable if b.updated <= restore_time][-1]
    info = backup_restore.restore_info(context, start.id, version,
                                       volume_size)
    info['binlog'] = {
        'instance_id': source.id,
        'container': archive_settings(source.tenant_id)['container'],
        'stop_time': int(restore_time.replace(
            tzinfo=datetime.UTC).timestamp()) + 1}
    info['restore_time'] = iso(restore_time)
    return info
