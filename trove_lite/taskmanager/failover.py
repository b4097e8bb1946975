"""trove-lite's automatic failover (``"failover": {"automatic": true}`` on
a source): when a source's heartbeat has been missing for
``failover_timeout`` seconds and its database does not answer the
taskmanager's own probe, the taskmanager runs the eject flow by itself
(replicas.eject), records why on the source and tells
(``trove.instance.failover.end``).

Periodic, on every taskmanager: the claim of the set's first replica and
the EJECTING tasks, set on every replica or on none, keep two
taskmanagers from failing over the same set."""

import datetime
import logging
import socket

from oslo_utils import timeutils

from trove_lite import db
from trove_lite.common import notifications
from trove_lite.conf import CONF
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replicas as replica_rows
from trove_lite.records import status as instance_status
from trove_lite.records.status import InstanceTasks
from trove_lite.taskmanager import claims as instance_claims
from trove_lite.taskmanager import replicas

LOG = logging.getLogger(__name__)

PUBLISHER = 'taskmanager'
# Seconds the probe waits for the source's database to accept.
PROBE_TIMEOUT = 2


class _Busy(Exception):
    """A replica is busy: no failover this round."""


def answers(source):
    """Whether the source's database accepts a connection on its address
    (the taskmanager's own probe, beside the missing heartbeat)."""
    address = replicas.master_address(source)
    try:
        with socket.create_connection((address['host'], address['port']),
                                      timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def _start(members):
    """EJECTING on every replica, or on none (one is busy)."""
    try:
        with db.transaction() as tx:
            for member in members:
                if not instances.set_task_if(tx, member.id,
                                             instance_status.IDLE_TASKS,
                                             InstanceTasks.EJECTING):
                    raise _Busy(member.id)
    except _Busy as busy:
        LOG.warning('Automatic failover waits: replica %s is busy', busy)
        return False
    return True


def fail_over_dead_sources(context, claims):
    """Periodic: fail over every source with automatic failover whose
    heartbeat is older than ``failover_timeout`` and whose database does
    not answer."""
    now = timeutils.utcnow()
    limit = datetime.timedelta(seconds=CONF.failover_timeout)
    for source_id in db.read(replica_rows.automatic_failover_sources):
        source = db.read(instances.find, source_id)
        if source is None or source.task == InstanceTasks.DELETING:
            continue
        heard = source.service_status_updated
        if heard is not None and now - heard < limit:
            continue
        if answers(source):
            continue
        members = [db.read(instances.get, member_id) for member_id in
                   db.read(replica_rows.replica_ids, source_id)]
        if members:
            _fail_over(context, claims, source, members, heard, now)


def _fail_over(context, claims, source, members, heard, now):
    silent = 'ever' if heard is None else \
        f'{(now - heard).total_seconds():.0f} s'
    reason = (f'Automatic failover: no heartbeat for {silent} and the '
              f'database does not answer.')
    try:
        with claims.acquire(members[0].id, 'failover'):
            if not _start(members):
                return
            LOG.warning('Source %s: %s', source.id, reason)
            with db.transaction() as tx:
                instances.add_fault(tx, source.id, reason)
            replicas.eject(context, members[0].id)
    except instance_claims.ClaimHeld:
        return
    notifications.notify(context, PUBLISHER, 'failover', 'end',
                         notifications.instance_payload(source,
                                                        message=reason))
