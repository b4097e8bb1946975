"""Configuration groups on instances: attach, detach, bring attached
instances up to date after a group changed, and the configuration an
instance runs with.

Through the guest: first the guest writes the instance's values into its
server's option file (``update_overrides``, for every later start), then
it sets the changed values the server takes live (``apply_overrides``).
Attach and detach do it in the API request (one instance, each guest call
bounded by ``api_guest_call_timeout``); a change of a group reaches its
instances as taskmanager tasks, one per instance (``reapply``), as Trove
does, so a request never waits on many guests in turn. A changed value the
server takes only at a start marks the instance RESTART_REQUIRED; the next
restart clears the mark (and first hands the guest the instance's values
again, see taskmanager.restart_resize.restart).
"""

import logging

from oslo_utils import strutils

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.datastore import mysql_config
from trove_lite.db.repositories import configurations
from trove_lite.db.repositories import instances
from trove_lite.instance import api as instance_api
from trove_lite.records import status as instance_status
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi

LOG = logging.getLogger(__name__)

# Attached instances in these tasks are left alone when their group
# changes: a build reads the group when it prepares the guest, and a
# deleted instance needs nothing.
_UNREACHABLE_TASKS = (InstanceTasks.BUILDING, InstanceTasks.DELETING)

# Guest failures that mean the guest did not take a change (GuestsBusy:
# the request never got to ask it).
_GUEST_FAILURES = (exceptions.GuestError, exceptions.GuestTimeout,
                   exceptions.GuestsBusy, exceptions.ServiceUnavailable)


class _NotWritten(Exception):
    """The guest did not write the values into its option file."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _check_assignable(record):
    """Trove's rule for attach and detach: the server is up and no
    other task runs (else 400); and the guest must answer (else 422),
    rather than keep the request waiting for a silent guest."""
    if record.server_status != 'ACTIVE':
        raise exceptions.InvalidInstanceState(status=record.server_status)
    if record.task not in instance_status.IDLE_TASKS:
        raise exceptions.InvalidInstanceState(status=record.task.action)
    instance_api.check_datastore_running(record)


def mark_restart_required(instance_id, names):
    LOG.info('Instance %s needs a restart to apply %s', instance_id,
             ', '.join(sorted(names)))
    with db.transaction() as tx:
        instances.set_task_if(tx, instance_id, [InstanceTasks.NONE],
                              InstanceTasks.RESTART_REQUIRED)


def changed_names(old, new):
    return sorted(name for name in old.keys() | new.keys()
                  if old.get(name) != new.get(name))


def apply_change(context, record, old, new, parameters):
    """Bring an instance's guest from the values ``old`` to ``new``
    within the API request (see apply_values)."""
    changed = changed_names(old, new)
    if changed:
        apply_values(context, record, instance_api.guest(record), new,
                     changed, parameters)


def apply_values(context, record, guest, new, changed, parameters):
    """Bring an instance's ``guest`` to the values ``new``, of which
    ``changed`` (names) changed: the guest keeps ``new`` in its option
    file and sets the changed values the server takes live; the instance
    is marked RESTART_REQUIRED when a changed value needs a restart (a
    static parameter, one no longer in the catalogue, or one the server
    refused to change live). Raises _NotWritten when the guest did not
    take ``new``."""
    try:
        guest.update_overrides(context, new)
    except _GUEST_FAILURES as error:
        raise _NotWritten(error) from error
    restart = [name for name in changed if name not in parameters
               or parameters[name].restart_required]
    # None sets a value the group no longer has back to the default.
    live = {name: new.get(name) for name in changed if name not in restart}
    if live:
        try:
            restart += guest.apply_overrides(context, live)
        except _GUEST_FAILURES as error:
            # The option file has the values: a restart applies them.
            LOG.warning('Instance %s did not apply %s live: %s', record.id,
                        ', '.join(live), error)
            restart += list(live)
    if restart:
        mark_restart_required(record.id, restart)


def attach(context, record, group_id):
    """Attach the group ``group_id`` (of the instance's project and
    datastore version) to an instance that has none."""
    if record.configuration_id:
        raise exceptions.ConfigurationAlreadyAttached(
            instance_id=record.id, configuration_id=record.configuration_id)
    _check_assignable(record)
    group = db.read(configurations.get, group_id, record.tenant_id)
    if group.datastore_version_id != record.datastore_version_id:
        raise exceptions.ConfigurationDatastoreNotMatchInstance(
            config_datastore_version=group.datastore_version_id,
            instance_datastore_version=record.datastore_version_id)
    # Under the group's lock: a delete of the group waits, then sees it
    # attached.
    with db.transaction() as tx:
        configurations.lock(tx, group.id)
        attached = instances.attach_configuration(
            tx, record.id, group.id, instance_status.IDLE_TASKS)
    if not attached:
        # Another request attached a group or started a task first.
        current = instance_api.get(context, record.id)
        if current.configuration_id:
            raise exceptions.ConfigurationAlreadyAttached(
                instance_id=record.id,
                configuration_id=current.configuration_id)
        raise exceptions.InvalidInstanceState(status=current.task.action)
    with notifications.ActionNotification(
            context, 'api', 'attach_configuration',
            notifications.instance_payload(record,
                                           configuration_id=group.id)):
        try:
            apply_change(context, record, {},
                         db.read(configurations.values, group.id),
                         catalogue_api.parameters_by_name(
                             group.datastore_version_id))
        except _NotWritten as failure:
            _detach(record, group.id)
            raise failure.error from None


def _detach(record, group_id):
    with db.transaction() as tx:
        instances.detach_configuration(tx, record.id, group_id)


def detach(context, record):
    """Detach an instance's group: its values go back to the instance's
    defaults (live where the server allows). Nothing to do without one,
    as in Trove."""
    group_id = record.configuration_id
    if not group_id:
        return
    _check_assignable(record)
    with notifications.ActionNotification(
            context, 'api', 'detach_configuration',
            notifications.instance_payload(record,
                                           configuration_id=group_id)):
        try:
            apply_change(context, record,
                         db.read(configurations.values, group_id), {},
                         catalogue_api.parameters_by_name(
                             record.datastore_version_id))
        except _NotWritten as failure:
            raise failure.error from None
        _detach(record, group_id)


def reapply(context, group_id, old, new):
    """A group's values went from ``old`` to ``new``: cast one task per
    instance it is attached to (the taskmanager's ``update_overrides``,
    which runs reapply_to). An instance the cast does not reach is marked
    RESTART_REQUIRED, since its restart hands the guest the group's
    values; the others are not held up."""
    changed = changed_names(old, new)
    if not changed:
        return
    for record in db.read(instances.list_with_configuration, group_id):
        if record.task in _UNREACHABLE_TASKS:
            LOG.info('Instance %s is %s: configuration group %s reaches it '
                     'later', record.id, record.task.action, group_id)
            continue
        try:
            # To the taskmanager of the instance's host (see
            # instance.placement), as every action on it.
            taskmanager_rpcapi.API(record.host).update_overrides(
                context, record.id, group_id, changed)
        except Exception as error:
            LOG.warning('Configuration group %s not sent to instance %s '
                        '(%s); it gets it at its restart', group_id,
                        record.id, error)
            mark_restart_required(record.id, changed)


def reapply_to(context, record, changed, guest):
    """The taskmanager's side of reapply: bring one instance's ``guest``
    to the current values of its group, whose ``changed`` names
    changed."""
    if record.task in _UNREACHABLE_TASKS:
        LOG.info('Instance %s is %s: configuration group %s reaches it '
                 'later', record.id, record.task.action,
                 record.configuration_id)
        return
    if instance_api.service_status(record) not in \
            instance_status.GUEST_ANSWERING:
        LOG.warning('The guest of instance %s does not answer; it gets '
                    'configuration group %s at its restart', record.id,
                    record.configuration_id)
        mark_restart_required(record.id, changed)
        return
    LOG.info('Re-applying configuration group %s to instance %s',
             record.configuration_id, record.id)
    try:
        apply_values(context, record, guest,
                     db.read(configurations.values, record.configuration_id),
                     changed, catalogue_api.parameters_by_name(
                         record.datastore_version_id))
    except _NotWritten as failure:
        LOG.warning('Instance %s did not take configuration group %s: %s; '
                    'it gets it at its restart', record.id,
                    record.configuration_id, failure)
        mark_restart_required(record.id, changed)


def effective(record):
    """The settings an instance's server runs with (after its next
    restart, when one is pending): the defaults of its flavor with its
    group's values, as text; password-like values masked."""
    flavor = catalogue_api.get_flavor(record.flavor_id)
    settings = mysql_config.tunable_settings(
        flavor.ram if flavor else 0,
        db.read(configurations.values_of_instance, record.id))
    return strutils.mask_dict_password({
        name: _as_text(value) for name, value in settings.items()})


def _as_text(value):
    # A bare option (skip-name-resolve) is a switch turned on.
    if value is None or value is True:
        return 'ON'
    if value is False:
        return 'OFF'
    return str(value)
