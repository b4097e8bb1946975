"""The instance state machine: stored task and service statuses, and the
``status`` / ``operating_status`` the API derives from them (Trove's rules).

Plain Python, no I/O: unit-tested without a broker or a database.
"""

import dataclasses
import datetime


# Each status exists once, as a member of InstanceTasks or ServiceStatuses:
# equality is identity (eq=False), and so cheap on every view's path.
@dataclasses.dataclass(frozen=True, eq=False)
class TaskStatus:
    code: int
    action: str
    description: str
    is_error: bool = False


class InstanceTasks:
    NONE = TaskStatus(0x01, 'NONE', 'No tasks for the instance.')
    DELETING = TaskStatus(0x02, 'DELETING', 'Deleting the instance.')
    REBOOTING = TaskStatus(0x03, 'REBOOTING', 'Rebooting the instance.')
    RESIZING = TaskStatus(0x04, 'RESIZING', 'Resizing the instance.')
    BUILDING = TaskStatus(0x05, 'BUILDING', 'The instance is building.')
    MIGRATING = TaskStatus(0x06, 'MIGRATING', 'Migrating the instance.')
    RESTART_REQUIRED = TaskStatus(0x07, 'RESTART_REQUIRED',
                                  'Instance requires a restart.')
    PROMOTING = TaskStatus(0x08, 'PROMOTING',
                           'Promoting the instance to replica source.')
    EJECTING = TaskStatus(0x09, 'EJECTING',
                          'Ejecting the replica source.')
    DETACHING = TaskStatus(0x0b, 'DETACHING',
                           'Detaching the instance from its source.')
    UPDATING = TaskStatus(0x0c, 'UPDATING', 'Updating the instance.')
    # trove-lite's: Trove derives BACKUP from a running backup row; a task
    # makes the action gate and the one-backup-at-a-time rule one check.
    BACKING_UP = TaskStatus(0x20, 'BACKUP', 'Backing up the instance.')
    BUILDING_ERROR_DNS = TaskStatus(0x50, 'BUILDING', 'Build error: DNS.',
                                    is_error=True)
    BUILDING_ERROR_SERVER = TaskStatus(0x51, 'BUILDING',
                                       'Build error: Server.', is_error=True)
    BUILDING_ERROR_VOLUME = TaskStatus(0x52, 'BUILDING',
                                       'Build error: Volume.', is_error=True)
    BUILDING_ERROR_SEC_GROUP = TaskStatus(
        0x53, 'BUILDING', 'Build error: Secgroup or rule.', is_error=True)
    BUILDING_ERROR_REPLICA = TaskStatus(0x54, 'BUILDING',
                                        'Build error: Replica.', is_error=True)
    BUILDING_ERROR_TIMEOUT_GA = TaskStatus(
        0x5b, 'ERROR', 'Build error: guestagent timeout.', is_error=True)
    BUILDING_ERROR_PORT = TaskStatus(0x5c, 'BUILDING', 'Build error: Port.',
                                     is_error=True)
    UPDATING_ERROR_ACCESS = TaskStatus(0x5d, 'UPDATING',
                                       'Update error: Access.', is_error=True)

    @classmethod
    def all(cls):
        return [v for v in vars(cls).values() if isinstance(v, TaskStatus)]

    @classmethod
    def from_code(cls, code):
        try:
            return _TASKS_BY_CODE[code]
        except KeyError:
            raise ValueError(f'Unknown task status code {code}') from None


@dataclasses.dataclass(frozen=True, eq=False)
class ServiceStatus:
    code: int
    description: str
    api_status: str


class ServiceStatuses:
    RUNNING = ServiceStatus(0x01, 'running', 'ACTIVE')
    BLOCKED = ServiceStatus(0x02, 'blocked', 'BLOCKED')
    PAUSED = ServiceStatus(0x03, 'paused', 'SHUTDOWN')
    SHUTDOWN = ServiceStatus(0x04, 'shutdown', 'SHUTDOWN')
    DELETED = ServiceStatus(0x05, 'deleted', 'DELETED')
    CRASHED = ServiceStatus(0x06, 'crashed', 'SHUTDOWN')
    FAILED = ServiceStatus(0x08, 'failed to spawn', 'FAILED')
    BUILDING = ServiceStatus(0x09, 'building', 'BUILD')
    UNKNOWN = ServiceStatus(0x16, 'unknown', 'ERROR')
    NEW = ServiceStatus(0x17, 'new', 'NEW')
    FAILED_TIMEOUT_GUESTAGENT = ServiceStatus(0x18, 'guestagent error',
                                              'ERROR')
    INSTANCE_READY = ServiceStatus(0x19, 'instance ready', 'BUILD')
    RESTART_REQUIRED = ServiceStatus(0x20, 'restart required',
                                     'RESTART_REQUIRED')
    HEALTHY = ServiceStatus(0x21, 'healthy', 'HEALTHY')
    RESTARTING = ServiceStatus(0x22, 'restarting', 'RESTARTING')

    @classmethod
    def all(cls):
        return [v for v in vars(cls).values()
                if isinstance(v, ServiceStatus)]

    @classmethod
    def from_code(cls, code):
        try:
            return _SERVICES_BY_CODE[code]
        except KeyError:
            raise ValueError(f'Unknown service status code {code}') from None

    @classmethod
    def from_description(cls, description):
        """Heartbeats name statuses by description (exact match)."""
        try:
            return _SERVICES_BY_DESCRIPTION[description]
        except KeyError:
            raise ValueError(
                f'Unknown service status {description!r}') from None


# Lookups run for every instance in every list: index them once.
_TASKS_BY_CODE = {task.code: task for task in InstanceTasks.all()}
_SERVICES_BY_CODE = {status.code: status
                     for status in ServiceStatuses.all()}
_SERVICES_BY_DESCRIPTION = {status.description: status
                            for status in ServiceStatuses.all()}


# A build ends when the guest reports one of these...
BUILD_DONE = frozenset({ServiceStatuses.RUNNING, ServiceStatuses.HEALTHY,
                        ServiceStatuses.INSTANCE_READY})
# ...and keeps waiting while it reports one of these; anything else fails it.
BUILD_PENDING = frozenset({ServiceStatuses.NEW, ServiceStatuses.BUILDING,
                           ServiceStatuses.UNKNOWN,
                           ServiceStatuses.DELETED})

# Server (compute) statuses the API passes through unchanged.
_SERVER_PASSTHROUGH = frozenset({'BUILD', 'ERROR', 'REBOOT', 'RESIZE',
                                 'ACTIVE', 'SHUTDOWN'})

_TASK_TO_STATUS = {
    'REBOOTING': 'REBOOT',
    'RESIZING': 'RESIZE',
    'UPGRADING': 'UPGRADE',
    'RESTART_REQUIRED': 'RESTART_REQUIRED',
    'PROMOTING': 'PROMOTE',
    'EJECTING': 'EJECT',
    'DETACHING': 'DETACH',
    'LOGGING': 'LOGGING',
    'BACKUP': 'BACKUP',
}


def api_status(task, server_status, has_running_backup=False):
    """The API ``status`` of an instance (first matching rule wins)."""
    if task.is_error:
        return 'ERROR'
    if task.action == 'BUILDING':
        return 'ERROR' if server_status == 'ERROR' else 'BUILD'
    if task.action in _TASK_TO_STATUS:
        return _TASK_TO_STATUS[task.action]
    if task.action == 'DELETING':
        if server_status in ('ACTIVE', 'SHUTDOWN', 'DELETED', None):
            return 'SHUTDOWN'
        return 'ERROR'
    if has_running_backup:
        return 'BACKUP'
    if server_status in _SERVER_PASSTHROUGH:
        return server_status
    if server_status == 'VERIFY_RESIZE':
        return 'RESIZE'
    return 'UNKNOWN'


def effective_service_status(task, service_status, updated_at, now,
                             heartbeat_expiry):
    """The service status after Trove's heartbeat-expiry rule: an idle
    instance whose last heartbeat is too old shows the guest as failed."""
    if (task == InstanceTasks.NONE
            and service_status != ServiceStatuses.RESTART_REQUIRED
            and updated_at is not None
            and now - updated_at >= datetime.timedelta(
                seconds=heartbeat_expiry)):
        return ServiceStatuses.FAILED_TIMEOUT_GUESTAGENT
    return service_status


def operating_status(task, server_status, service_status):
    """``""`` while any task runs or the server is not ACTIVE; else the
    service status as the API names it."""
    if task != InstanceTasks.NONE or server_status != 'ACTIVE':
        return ''
    return service_status.api_status


# An instance is idle, free to start an action or take a configuration
# group, with no task or only a pending restart (RESTART_REQUIRED is no
# task: the instance works; Trove insists on NONE).
IDLE_TASKS = frozenset({InstanceTasks.NONE, InstanceTasks.RESTART_REQUIRED})

# Trove's "can perform action" gate (restart, resize, ...): the server must
# be up, no other task may run, and the datastore must be in one of these.
ACTION_ALLOWED_SERVICE = frozenset({
    ServiceStatuses.RUNNING, ServiceStatuses.SHUTDOWN,
    ServiceStatuses.CRASHED, ServiceStatuses.BLOCKED,
    ServiceStatuses.HEALTHY, ServiceStatuses.RESTART_REQUIRED})

# Restart is how an owner recovers an instance whose guest stopped
# answering (its heartbeat expired, or an admin reset it): unlike Trove,
# which refuses it until an admin's reset_status, it is allowed then too.
RESTART_ALLOWED_SERVICE = ACTION_ALLOWED_SERVICE | frozenset({
    ServiceStatuses.FAILED_TIMEOUT_GUESTAGENT, ServiceStatuses.UNKNOWN})

# The datastore answers for database, user and root operations.
DATASTORE_RUNNING = frozenset({ServiceStatuses.RUNNING,
                               ServiceStatuses.HEALTHY})

# API statuses in which the guest is not asked for its volume usage.
GUEST_UNAVAILABLE = frozenset({'BUILD', 'REBOOT', 'RESIZE', 'PROMOTE',
                               'EJECT', 'UPGRADE', 'SHUTDOWN'})
# Service statuses only a guest that is up reports (whatever its
# datastore does).
GUEST_ANSWERING = ACTION_ALLOWED_SERVICE


def action_refusal(task, server_status, service_status,
                   allowed_service=ACTION_ALLOWED_SERVICE):
    """Why an action may not start now, as ``(status_type, status)`` for
    Trove's 422 message; None when it may. ``service_status`` is the
    effective one (after heartbeat expiry)."""
    if server_status not in ('ACTIVE', 'HEALTHY'):
        return 'instance', server_status
    if task not in IDLE_TASKS:
        return 'task', task.action
    if service_status not in allowed_service:
        return 'instance', api_status(task, server_status)
    return None
