"""Backup policies on the taskmanager's side, a periodic task: take each
policy's automated full backup in its window once a day, and expire what
is past the retention: automated backups (manual ones stay), the archived
binary log that no kept backup needs, and the whole archive of a policy
that ended (its instance deleted, or the policy removed) a retention ago.

A day is ``backup_policy_day`` seconds (shorter in tests).
"""

import datetime
import logging
import time

from oslo_utils import timeutils

from trove_lite import db
from trove_lite import storage
from trove_lite.backup import api as backup_api
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db.repositories import backup_policies
from trove_lite.db.repositories import backups
from trove_lite.db.repositories import instances
from trove_lite.instance import backup_policy
from trove_lite.instance import keys
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.storage import grants

LOG = logging.getLogger(__name__)

# How many expiry casts a guest gets per day at most.
_EXPIRIES_PER_DAY = 24


# A guest's archive grant is sent again after this part of its lifetime.
_GRANT_RENEWAL = 0.25


class PolicyTask:
    """The periodic task; remembers when each guest was last told to
    expire its archive, and sent a grant to keep it with."""

    def __init__(self):
        self._expiry_sent = {}
        self._grant_sent = {}

    def run(self, context):
        now = timeutils.utcnow()
        for policy in db.read(backup_policies.all_policies):
            try:
                self._run_one(context, policy, now)
            except Exception:
                LOG.exception('Backup policy of %s: the periodic work '
                              'failed', policy.instance_id)

    def _run_one(self, context, policy, now):
        day = datetime.timedelta(seconds=CONF.backup_policy_day)
        retention = day * policy.retention_days
        expire_automated(context, policy, now - retention)
        if policy.ended is not None:
            if now - policy.ended > retention:
                remove_archive(policy)
            return
        instance = db.read(instances.find, policy.instance_id)
        if instance is None:
            with db.transaction() as tx:
                backup_policies.end(tx, policy.instance_id)
            return
        take_automated(context, policy, instance, now, day)
        self._renew_grant(context, policy)
        self._expire_archive(context, policy, now - retention, day)

    def _renew_grant(self, context, policy):
        """Send the guest a fresh archive grant well before its last one
        expires (and once after a taskmanager start)."""
        last = self._grant_sent.get(policy.instance_id)
        if last is not None and time.monotonic() - last < \
                CONF.storage_grant_lifetime * _GRANT_RENEWAL:
            return
        guest_rpcapi.API(policy.instance_id, keys.key_of(
            policy.instance_id)).set_binlog_archive(
                context, backup_policy.with_grant(
                    backup_policy.archive_settings(policy.tenant_id),
                    policy.instance_id))
        self._grant_sent[policy.instance_id] = time.monotonic()

    def _expire_archive(self, context, policy, cutoff, day):
        """Tell the guest to drop archived files no kept backup needs:
        those before the oldest backup within the retention."""
        last = self._expiry_sent.get(policy.instance_id)
        if last is not None and time.monotonic() - last < \
                day.total_seconds() / _EXPIRIES_PER_DAY:
            return
        kept = [b for b in db.read(backups.completed, policy.instance_id)
                if b.created >= cutoff]
        before = min([cutoff] + [b.created for b in kept])
        guest_rpcapi.API(policy.instance_id, keys.key_of(
            policy.instance_id)).expire_binlogs(
                context, before.replace(tzinfo=datetime.UTC).timestamp())
        self._expiry_sent[policy.instance_id] = time.monotonic()


def archive_before_delete(context, instance):
    """The guest of an instance being deleted archives once more, so that
    a restore of the deleted instance reaches its last commits; a guest
    that does not answer soon loses only what it wrote since its last
    pass."""
    if db.read(backup_policies.find, instance.id, instance.tenant_id,
               include_ended=True) is None:
        return
    try:
        guest_rpcapi.API(instance.id, keys.key_of(instance.id),
                         max_wait=CONF.agent_call_low_timeout
                         ).archive_binlogs(context)
    except Exception as error:
        LOG.warning('The guest of %s did not archive its binary log '
                    'before its delete: %s', instance.id, error)


def take_automated(context, policy, instance, now, day):
    """Start the day's automated full backup of an idle instance in its
    window, unless one was started less than a day ago."""
    if not policy.in_window(now.hour * 60 + now.minute):
        return
    if instance.task != InstanceTasks.NONE:
        return
    newest = db.read(backups.automated, policy.instance_id)
    if newest and now - newest[0].created < day:
        return
    name = f'automated {now:%Y-%m-%d %H:%M}'
    try:
        backup = backup_api.create(context, backup_api.CreateRequest(
            name=name, instance_id=instance.id, automated=True))
    except exceptions.TroveLiteError as error:
        # Busy, over quota, not running: the next round tries again.
        LOG.info('Automated backup of %s not taken now: %s', instance.id,
                 error)
        return
    LOG.info('Automated backup %s of %s started', backup.id, instance.id)


def expire_automated(context, policy, cutoff):
    """Delete the automated backups of the policy's instance started
    before ``cutoff`` (an incremental built on one keeps it)."""
    for backup in db.read(backups.automated, policy.instance_id):
        if backup.created >= cutoff or backup.is_running:
            continue
        try:
            backup_api.delete(context, backup)
        except exceptions.TroveLiteError as error:
            LOG.info('Expired automated backup %s stays: %s', backup.id,
                     error)
            continue
        LOG.info('Automated backup %s of %s expired', backup.id,
                 policy.instance_id)


def remove_archive(policy):
    """Remove the whole binlog archive of a policy that ended a retention
    ago, then the policy."""
    settings = backup_policy.archive_settings(policy.tenant_id)
    store = storage.get_storage(policy.tenant_id)
    for item in store.list(settings['container'],
                           grants.binlog_archive_prefix(policy.instance_id)):
        store.delete(item.location)
    with db.transaction() as tx:
        backup_policies.remove(tx, policy.instance_id)
    LOG.info('The binlog archive of %s is removed (its policy ended a '
             'retention ago)', policy.instance_id)
