"""The internal instance API the REST controllers call: resolve and check
a request against the catalogue, write rows, cast to the taskmanager."""

import dataclasses
import logging

from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.common import objects
from trove_lite.common import quota
from trove_lite.conf import CONF
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.instance import keys
from trove_lite.instance import status as instance_status
from trove_lite.instance.status import InstanceTasks
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class CreateRequest:
    """A validated create request (see api.validation)."""

    name: str
    flavor_ref: str
    volume_size: int | None = None
    volume_type: str | None = None
    datastore: dict = dataclasses.field(default_factory=dict)
    databases: list = dataclasses.field(default_factory=list)
    users: list = dataclasses.field(default_factory=list)
    availability_zone: str | None = None
    region_name: str | None = None
    configuration_id: str | None = None


def resolve_datastore_version(datastore_ref, allow_inactive=False):
    """The (datastore, version) a request names, with Trove's defaults
    and errors; an inactive version only with ``allow_inactive``."""
    type_ref = datastore_ref.get('type') or CONF.default_datastore
    if not type_ref:
        raise exceptions.DatastoreDefaultDatastoreNotFound()
    datastore = db_api.datastore_find(type_ref)
    version_ref = datastore_ref.get('version')
    if version_ref:
        version = db_api.version_find(datastore, version_ref,
                                      datastore_ref.get('version_number'))
    elif datastore.default_version_id:
        version = db_api.version_get(datastore.default_version_id)
    else:
        raise exceptions.DatastoreDefaultVersionNotFound(
            datastore=datastore.name)
    if not (version.active or allow_inactive):
        raise exceptions.DatastoreVersionInactive(version=version.name)
    return datastore, version


def volume_support(manager):
    """Whether a datastore manager's instances have a volume (a record
    without a version, hence without a manager, counts as mysql)."""
    group = getattr(CONF, manager or 'mysql', None)
    return True if group is None else group.volume_support


def flavor_dict(flavor):
    """A flavor as it travels to the taskmanager."""
    return {'id': flavor.id, 'name': flavor.name, 'ram': flavor.ram,
            'vcpus': flavor.vcpus, 'disk': flavor.disk,
            'ephemeral': flavor.ephemeral}


def create(context, request):
    """Check the request against the catalogue, write the rows, cast the
    build; returns the new instance's record. Nothing is written or sent
    unless every check passed."""
    flavor = db_api.flavor_get(request.flavor_ref)
    if flavor is None:
        raise exceptions.FlavorNotFound(uuid=request.flavor_ref)
    datastore, version = resolve_datastore_version(request.datastore)
    if volume_support(version.manager):
        if request.volume_size is None:
            raise exceptions.VolumeSizeNotSpecified()
        if request.volume_size > CONF.max_accepted_volume_size:
            raise exceptions.VolumeQuotaExceeded(
                max_size=CONF.max_accepted_volume_size)
    elif request.volume_size is not None:
        raise exceptions.NotImplementedYet('Volume support is not enabled.')
    if request.configuration_id is not None:
        group = db_api.configuration_get(request.configuration_id,
                                         context.project_id)
        if group.datastore_version_id != version.id:
            raise exceptions.ConfigurationDatastoreNotMatchInstance(
                config_datastore_version=group.datastore_version_id,
                instance_datastore_version=version.id)

    instance = db_api.instance_create({
        'name': request.name,
        'tenant_id': context.project_id,
        'flavor_id': flavor.id,
        'datastore_version_id': version.id,
        'volume_size': request.volume_size,
        'volume_type': request.volume_type,
        'region_id': request.region_name or CONF.region,
        'configuration_id': request.configuration_id,
        'encrypted_key': keys.new_key(),
    }, usage=quota.instance_charge(context.project_id, flavor,
                                   request.volume_size))
    spec = objects.InstanceSpec(
        instance_id=instance.id, name=request.name,
        flavor=flavor_dict(flavor),
        datastore_manager=version.manager, datastore_version=version.name,
        datastore_version_id=version.id, image_id=version.image_id,
        volume_size=request.volume_size, volume_type=request.volume_type,
        databases=request.databases, users=request.users,
        availability_zone=request.availability_zone)
    notifications.notify(context, 'api', 'create', 'start',
                         notifications.instance_payload(
                             instance, datastore=datastore.name,
                             datastore_version=version.name))
    try:
        taskmanager_rpcapi.API().create_instance(context, spec)
    except Exception as error:
        LOG.exception('Could not send create_instance for %s', instance.id)
        db_api.fault_add(instance.id, 'The build request could not be '
                                      'sent to the taskmanager.',
                         details=str(error),
                         task=InstanceTasks.BUILDING_ERROR_SERVER)
        raise exceptions.ServiceUnavailable() from error
    return db_api.instance_get(instance.id)


def get(context, instance_id):
    """The instance as the caller may see it: one of the caller's
    project, or any project's for an admin (Trove's lookup); otherwise
    InstanceNotFound, so other projects' instances look absent."""
    return db_api.instance_get(
        instance_id, None if context.is_admin else context.project_id)


def delete(context, record):
    """Mark the instance (a record from get()) DELETING, free its quota
    usage and cast the delete."""
    instance_id = record.id
    if record.task == InstanceTasks.BUILDING:
        raise exceptions.UnprocessableEntity(
            f'Instance {instance_id} is not ready. (Status is BUILD).')
    if record.task == InstanceTasks.DELETING:
        return
    allowed = [t for t in InstanceTasks.all()
               if t not in (InstanceTasks.BUILDING, InstanceTasks.DELETING)]
    if not db_api.instance_set_task_if(
            instance_id, allowed, InstanceTasks.DELETING,
            usage=quota.instance_release(record)):
        raise exceptions.UnprocessableEntity(
            f'Instance {instance_id} is not ready. (Status is BUILD).')
    notifications.notify(context, 'api', 'delete', 'start',
                         notifications.instance_payload(record))
    taskmanager_rpcapi.API().delete_instance(context, instance_id)


def service_status(record):
    """The guest's status as Trove judges it: failed once its heartbeats
    are older than ``agent_heartbeat_expiry``."""
    return instance_status.effective_service_status(
        record.task, record.service_status, record.service_status_updated,
        models.utcnow(), CONF.agent_heartbeat_expiry)


# Datastore managers whose databases, users and root the API manages.
DATA_MANAGERS = ('mysql', 'mariadb')


def check_datastore_running(record):
    """Whether the instance's datastore can take database, user and root
    operations now (Trove's load_and_verify): 422 for another datastore or
    one that is not running."""
    if record.datastore_manager not in DATA_MANAGERS:
        raise exceptions.DatastoreOperationUnsupported(
            manager=record.datastore_manager)
    status = service_status(record)
    if status not in instance_status.DATASTORE_RUNNING:
        raise exceptions.DatastoreNotRunning(instance_id=record.id,
                                             status=status.description)


def running_guest(record):
    """The guest of an instance whose datastore runs (else 422, see
    check_datastore_running)."""
    check_datastore_running(record)
    return guest_rpcapi.API(record.id)


def volume_usage(context, record):
    """The guest's volume usage for the detail view (Trove asks on every
    show), or None: not asked while the instance is busy or its guest is
    silent, and a guest failure never fails the show."""
    if not (record.volume_size and volume_support(record.datastore_manager)):
        return None
    api_status = instance_status.api_status(record.task,
                                            record.server_status)
    if (api_status in instance_status.GUEST_UNAVAILABLE
            or service_status(record) not in
            instance_status.GUEST_ANSWERING):
        return None
    try:
        return guest_rpcapi.API(record.id).get_volume_info(context)
    except Exception as error:
        LOG.warning('No volume usage from the guest of %s: %s', record.id,
                    error)
        return None
