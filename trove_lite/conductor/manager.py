"""The conductor: the only writer of what guests report."""

import logging
import re

import oslo_messaging as messaging

from trove_lite import db
from trove_lite.backup import api as backup_api
from trove_lite.common import batching
from trove_lite.common import notifications
from trove_lite.common import sealing
from trove_lite.db import retry
from trove_lite.db.repositories import backup_policies
from trove_lite.db.repositories import backups
from trove_lite.db.repositories import heartbeats
from trove_lite.instance import backup_policy
from trove_lite.records.backup import BackupState
from trove_lite.records.status import ServiceStatuses
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi

LOG = logging.getLogger(__name__)


@retry.retry_on_deadlock
def apply_heartbeats(reports):
    """Apply guest heartbeats (heartbeats.Reports) in one transaction, as
    if one at a time in this order; returns ``(applied, changed)`` per
    report: applied is False for a stale report or an unknown/deleted
    instance (nothing of it is written); changed is True when the status
    itself changed, not just its time. Should the database still pick it
    as a deadlock victim, it runs again: no report is lost to a race."""
    with db.transaction() as tx:
        return heartbeats.apply_batch(tx, reports)


def apply_heartbeat(instance_id, status, sent, usage=None):
    """One heartbeat on its own (see apply_heartbeats)."""
    return apply_heartbeats([heartbeats.Report(instance_id, status, sent,
                                               usage)])[0]


def volume_usage(reported):
    """The volume usage of a heartbeat's payload, checked (``used`` GB,
    ``used_percent``), or None when there is none or it is not sane."""
    if reported is None:
        return None
    try:
        used, percent = reported['used'], reported['used_percent']
        if not all(isinstance(value, (int, float)) and
                   not isinstance(value, bool) for value in (used, percent)):
            raise TypeError('not numbers')
        if not (0 <= used < 1e9 and 0 <= percent <= 100):
            raise ValueError('out of range')
    except (KeyError, TypeError, ValueError) as error:
        LOG.warning('Volume usage %r dropped: %s', reported, error)
        return None
    return {'used': float(used), 'used_percent': float(percent)}


def replication_lag(reported):
    """A replica's seconds behind its source from a heartbeat's payload,
    checked, or None."""
    if isinstance(reported, int) and not isinstance(reported, bool) and \
            0 <= reported < 2 ** 31:
        return reported
    if reported is not None:
        LOG.warning('Replication lag %r dropped', reported)
    return None


_MAX_LSN = 2 ** 63 - 1
_CHECKSUM = re.compile(r'[\x21-\x7e]{1,64}')


def _completed_values(fields):
    """The columns a completed backup's report sets, checked: a size in
    GB, the storage's checksum, a log position."""
    size = float(fields['size'])
    lsn = fields['lsn']
    if isinstance(lsn, bool) or not isinstance(lsn, int):
        raise TypeError('lsn is not an integer')
    checksum = fields.get('checksum')
    if not (0 <= size < 1e9 and 0 <= lsn <= _MAX_LSN):
        raise ValueError('size or lsn out of range')
    if checksum is not None and not (isinstance(checksum, str) and
                                     _CHECKSUM.fullmatch(checksum)):
        raise ValueError('checksum is not 1-64 printable characters')
    return {'size': size, 'lsn': lsn, 'checksum': checksum}


class Manager:
    """Endpoint for topic ``conductor_queue``."""

    target = messaging.Target(version='1.0')

    def __init__(self, taskmanager=None):
        self.taskmanager = taskmanager or taskmanager_rpcapi.API()
        self._heartbeats = batching.Batcher(apply_heartbeats, linger=0.05)

    @staticmethod
    def _from_its_guest(context, instance_id):
        """A report counts only from the guest of the instance it names:
        in an envelope sealed with that instance's key (in the clear for
        an instance that has no key; see common.sealing)."""
        if context.sealed_by is None or context.sealed_by != instance_id:
            LOG.warning('Report for instance %s dropped: not sealed with '
                        'its key', instance_id)
            return False
        return True

    def heartbeat(self, context, instance_id, payload, sent=None):
        """Apply a guest's status report unless a newer one was already
        applied (the lastseen guard), in a batch with the reports other
        threads dispatch meanwhile; return once it is written. Wake the
        taskmanager when the status changed, so a waiting build or
        restart ends at once."""
        if not self._from_its_guest(context, instance_id):
            return
        payload = payload if isinstance(payload, dict) else {}
        description = payload.get('service_status')
        status = None
        if description is not None:
            try:
                status = ServiceStatuses.from_description(description)
            except ValueError:
                LOG.warning('Heartbeat from %s with unknown status %r '
                            'dropped', instance_id, description)
                return
        if sent is None:
            LOG.error('Heartbeat from %s carries no sent time; applying it '
                      'without the ordering guard', instance_id)
        elif not sealing.is_stamp(sent):
            # It would fail the whole batch's write (NaN, Infinity) or
            # the ordering.
            LOG.warning('Heartbeat from %s with sent time %r dropped',
                        instance_id, str(sent)[:64])
            return
        try:
            applied, changed = self._heartbeats.submit(heartbeats.Report(
                instance_id, status, sent,
                volume_usage(payload.get('volume')),
                replication_lag(payload.get('replication_lag'))))
        except Exception as error:
            if not retry.is_unavailable(error):
                raise
            # The guest reports again every report_interval; nothing is
            # lost but this report's freshness.
            LOG.warning('Heartbeat from %s dropped: the database is '
                        'unavailable (%s)', instance_id, error)
            return
        if not applied:
            LOG.info('Heartbeat from %s dropped: stale, or the instance is '
                     'unknown or deleted', instance_id)
            return
        if changed:
            LOG.debug('Instance %s is now %s', instance_id, description)
            self.taskmanager.guest_status_changed(context, instance_id,
                                                  description)

    def update_backup(self, context, instance_id, backup_id, sent=None,
                      **backup_fields):
        """Apply a guest's report on a backup of its own instance: BUILDING
        while it writes, then COMPLETED or FAILED. A backup only moves
        forward (a late or repeated report changes nothing); where it is
        stored was recorded by the taskmanager and is not the guest's to
        say."""
        if not self._from_its_guest(context, instance_id):
            return
        backup = db.read(backups.find, backup_id)
        if backup is None or backup.instance_id != instance_id:
            LOG.warning('Backup report from %s for backup %s dropped: not '
                        'a running backup of that instance', instance_id,
                        backup_id)
            return
        state = backup_fields.get('state')
        if state == BackupState.BUILDING:
            backup_api.mark_building(backup_id)
        elif state == BackupState.COMPLETED:
            try:
                values = _completed_values(backup_fields)
            except (TypeError, ValueError) as error:
                LOG.warning('Backup %s: the guest of %s reported it '
                            'completed with bad values (%s)', backup_id,
                            instance_id, error)
                backup_api.end(context, backup_id, BackupState.FAILED,
                               fault='The guest reported the backup with '
                                     'invalid values.')
                return
            backup_api.end(context, backup_id, BackupState.COMPLETED,
                           **values)
        elif state == BackupState.FAILED:
            fault = backup_fields.get('fault')
            backup_api.end(context, backup_id, BackupState.FAILED,
                           fault=(fault if isinstance(fault, str)
                                  else 'The backup failed.')[:255])
        else:
            LOG.warning('Backup report from %s with unknown state %r '
                        'dropped', instance_id, state)

    def update_binlog_archive(self, context, instance_id, since, until,
                              sent=None):
        """Apply a guest's report of the span (epoch seconds) its
        instance's binlog archive restores to, unless a later one was
        applied. A guest can only speak for its own archive, and not for
        a time still to come."""
        if not self._from_its_guest(context, instance_id):
            return
        try:
            since, until = backup_policy.archive_span(since, until)
            sent = float(sent)
        except (TypeError, ValueError) as error:
            LOG.warning('Binlog archive report from %s dropped: %s',
                        instance_id, error)
            return
        with db.transaction() as tx:
            if not backup_policies.record_archive(tx, instance_id, since,
                                                  until, sent):
                LOG.info('Binlog archive report from %s dropped: stale, '
                         'or the instance has no policy', instance_id)

    def notify_end(self, context, instance_id, action, payload):
        if not self._from_its_guest(context, instance_id):
            return
        notifications.notify(context, 'conductor', action, 'end',
                             dict(payload, instance_id=instance_id))

    def notify_exc_info(self, context, instance_id, action, message,
                        exception):
        if not self._from_its_guest(context, instance_id):
            return
        notifications.notify(context, 'conductor', action, 'error',
                             {'instance_id': instance_id,
                              'message': message, 'exception': exception})
