"""``/instances``: create, list, show, update (name and configuration
group), delete; the instance's databases, users, root, actions and
configuration are sub-resources."""

import dataclasses

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.controllers.v1 import backups
from trove_lite.api.controllers.v1 import databases
from trove_lite.api.controllers.v1 import instance_actions
from trove_lite.api.controllers.v1 import logs
from trove_lite.api.controllers.v1 import root
from trove_lite.api.controllers.v1 import users
from trove_lite.api.views import common as common_views
from trove_lite.api.views import configurations as configuration_views
from trove_lite.api.views import instances as views
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.conf import CONF
from trove_lite.instance import actions
from trove_lite.instance import api as instance_api
from trove_lite.instance import backup_policy
from trove_lite.instance import configuration as instance_configuration
from trove_lite.instance import replication

# Trove create-body features trove-lite lacks. They are refused, not
# ignored: a client asking for one must not get a plain empty instance.
UNSUPPORTED_CREATE_KEYS = {
    'modules': 'modules',
    'locality': 'server groups (locality)',
}


def parse_create(body):
    """The create body as a CreateRequest; ValidationError for a bad body,
    NotImplementedYet for a Trove feature trove-lite lacks."""
    instance = validation.body_object(body, 'instance')
    for key, feature in UNSUPPORTED_CREATE_KEYS.items():
        if instance.get(key):
            raise exceptions.NotImplementedYet(
                f'trove-lite does not support {feature} '
                f"(instance['{key}']).")
    name = validation.non_empty_name(instance.get('name'),
                                     "instance['name']")
    flavor_ref = validation.reference(instance.get('flavorRef'),
                                      "instance['flavorRef']")
    request = instance_api.CreateRequest(name=name, flavor_ref=flavor_ref)
    if instance.get('volume') is not None:
        request.volume_size, request.volume_type = validation.volume_size(
            instance['volume'], "instance['volume']")
    if instance.get('datastore') is not None:
        request.datastore = validation.datastore_ref(
            instance['datastore'], "instance['datastore']")
    request.databases = validation.databases(
        instance.get('databases') or [], "instance['databases']")
    request.users = validation.users(
        instance.get('users') or [], "instance['users']",
        known_databases={d.name for d in request.databases})
    for key in ('availability_zone', 'region_name'):
        if instance.get(key) is not None:
            setattr(request, key, validation.non_empty_name(
                instance[key], f"instance['{key}']"))
    if instance.get('configuration'):
        request.configuration_id = validation.reference(
            instance['configuration'], "instance['configuration']")
    if instance.get('restorePoint') is not None:
        parse_restore_point(request, instance['restorePoint'])
    if instance.get('backup_policy') is not None:
        request.backup_policy = validation.backup_policy(
            instance['backup_policy'], "instance['backup_policy']")
    if instance.get('replica_of') is not None:
        request.replica_of = validation.reference(
            instance['replica_of'], "instance['replica_of']")
    if instance.get('replica_count') is not None:
        request.replica_count = validation.positive_int(
            instance['replica_count'], "instance['replica_count']")
    if instance.get('access') is not None:
        request.access = validation.access(instance['access'],
                                           "instance['access']")
    if instance.get('nics') is not None:
        request.nics = validation.nics(instance['nics'], "instance['nics']")
    if instance.get('failover') is not None:
        request.automatic_failover = validation.failover(
            instance['failover'], "instance['failover']")
    return request


def parse_restore_point(request, value):
    """Trove's ``{"backupRef"}``, or trove-lite's point in time
    ``{"instanceRef", "restoreTime"}``."""
    path = "instance['restorePoint']"
    restore_point = validation.require_object(value, path)
    if 'instanceRef' in restore_point or 'restoreTime' in restore_point:
        if 'backupRef' in restore_point:
            validation.fail(path, "takes 'backupRef' or 'instanceRef' with "
                                  "'restoreTime', not both")
        for key in ('instanceRef', 'restoreTime'):
            if key not in restore_point:
                validation.fail(path, f"'{key}' is a required property")
        request.restore_instance_id = validation.reference(
            restore_point['instanceRef'], f"{path}['instanceRef']")
        request.restore_time = validation.utc_time(
            restore_point['restoreTime'], f"{path}['restoreTime']")
        return
    if 'backupRef' not in restore_point:
        validation.fail(path, "'backupRef' is a required property")
    request.backup_id = validation.reference(
        restore_point['backupRef'], f"{path}['backupRef']")


# Keys of an update body (Trove's schema allows no others) and the
# features behind those trove-lite lacks.
UPDATE_KEYS = ('name', 'configuration', 'replica_of', 'slave_of', 'access',
               'datastore_version', 'backup_policy', 'failover')
UNSUPPORTED_UPDATE_KEYS = {
    'datastore_version': 'datastore upgrades',
}
# What a body without a key to change does: Trove detaches the group.
DETACH = object()


@dataclasses.dataclass
class Update:
    """A validated PUT or PATCH body: a new name or None; the
    configuration change (a group id to attach, DETACH, or None for
    none); with ``set_policy``, the backup policy (a PolicyRequest, or
    None to remove it); the new access, or None."""

    name: str | None = None
    configuration: object = None
    set_policy: bool = False
    backup_policy: object = None
    detach_replica: bool = False
    access: dict | None = None
    automatic_failover: bool | None = None


def parse_update(body):
    """The Update of a PUT or PATCH body."""
    instance = validation.body_object(body, 'instance')
    unexpected = sorted(set(instance) - set(UPDATE_KEYS))
    if unexpected:
        validation.fail('instance', f'Additional properties are not '
                                    f'allowed ({unexpected[0]!r} was '
                                    f'unexpected)')
    if len(set(instance) - {'name'}) > 1 or \
            (instance.get('name') is None and len(instance) > 1):
        raise exceptions.BadRequest("Only one attribute (except 'name') is "
                                    "allowed to update.")
    for key, feature in UNSUPPORTED_UPDATE_KEYS.items():
        if key in instance:
            raise exceptions.NotImplementedYet(
                f"trove-lite does not support {feature} "
                f"(instance['{key}']).")
    update = Update()
    if instance.get('name') is not None:
        update.name = validation.non_empty_name(instance['name'],
                                                "instance['name']")
    if not instance:
        update.configuration = DETACH
    elif 'configuration' in instance:
        update.configuration = DETACH if not instance['configuration'] \
            else validation.reference(instance['configuration'],
                                      "instance['configuration']")
    for key in ('replica_of', 'slave_of'):
        if key in instance:
            # Trove detaches on any empty value; a new source is not a
            # change an update makes.
            if instance[key]:
                validation.fail(f"instance['{key}']",
                                'only an empty value (detach) is allowed')
            update.detach_replica = True
    if 'access' in instance:
        update.access = validation.access(instance['access'],
                                          "instance['access']")
    if 'failover' in instance:
        update.automatic_failover = validation.failover(
            instance['failover'], "instance['failover']")
    if 'backup_policy' in instance:
        update.set_policy = True
        update.backup_policy = validation.backup_policy(
            instance['backup_policy'], "instance['backup_policy']")
    return update


class InstanceConfigurationController(rest.RestController):
    """``GET /instances/{id}/configuration``: the settings the instance's
    server runs with, its group's values included."""

    @pecan.expose('json')
    def get_all(self, instance_id):
        record = base.authorized_instance(instance_id,
                                          'instance:configuration')
        return configuration_views.instance_configuration(
            instance_configuration.effective(record))


class InstancesController(rest.RestController):

    _custom_actions = {'detail': ['GET']}

    databases = databases.DatabasesController()
    users = users.UsersController()
    root = root.RootController()
    action = instance_actions.InstanceActionController()
    configuration = InstanceConfigurationController()
    backups = backups.InstanceBackupsController()
    log = logs.LogsController()

    def _view(self, record, detail, is_admin, viewing=None):
        view = views.instance(record, detail, viewing)
        if is_admin:
            views.admin_keys(view, record)
        return view

    def _list(self, detail):
        context = base.context()
        limit = base.page_limit(CONF.instances_page_size)
        records, more = instance_api.list_page(
            context, limit, pecan.request.GET.get('marker'))
        viewing = views.Viewing() if records else None
        result = {'instances': [self._view(record, detail, context.is_admin,
                                           viewing)
                                for record in sorted(
                                    records, key=lambda r: r.created,
                                    reverse=True)]}
        if more:
            result['links'] = common_views.next_page_links(records[-1].id)
        return result

    @pecan.expose('json')
    def get_all(self):
        policy.authorize(base.context(), 'instance:index')
        return self._list(detail=False)

    @pecan.expose('json')
    def detail(self):
        policy.authorize(base.context(), 'instance:detail')
        return self._list(detail=True)

    @pecan.expose('json')
    def get_one(self, instance_id):
        context = base.context()
        shown = instance_api.get_for_show(context, instance_id)
        record = shown.instance
        policy.authorize(context, 'instance:show',
                         {'tenant': record.tenant_id})
        view = self._view(record, True, context.is_admin)
        view = views.add_volume_usage(view, record)
        views.add_replicas(view, shown.replica_ids)
        views.add_replication_lag(view, record)
        if shown.automatic_failover:
            view['failover'] = {'automatic': True}
        if shown.backup_policy is not None:
            view.update(backup_policy.view(shown.backup_policy))
        return {'instance': view}

    @pecan.expose('json')
    def post(self):
        context = base.context()
        policy.authorize(context, 'instance:create')
        request = parse_create(base.json_body())
        # A create does what these calls do, so their rules apply too.
        if request.databases:
            policy.authorize(context, 'instance:extension:database:create')
        if request.users:
            policy.authorize(context, 'instance:extension:user:create')
        if request.configuration_id:
            policy.authorize(context, 'instance:update')
        record = instance_api.create(context, request)
        view = self._view(record, True, context.is_admin)
        # Trove's create response: no addresses yet, only the size.
        for key in ('ip', 'addresses'):
            view.pop(key, None)
        return {'instance': view}

    def _update(self, instance_id, rule):
        if instance_id is None:
            raise exceptions.MethodNotAllowed(method=pecan.request.method)
        update = parse_update(base.json_body())
        context = base.context()
        record = base.authorized_instance(instance_id, rule)
        # The group first: a refused attach or detach renames nothing.
        if update.configuration is DETACH:
            instance_configuration.detach(context, record)
        elif update.configuration is not None:
            instance_configuration.attach(context, record,
                                          update.configuration)
        if update.detach_replica:
            replication.detach(context, record)
        if update.automatic_failover is not None:
            replication.set_automatic_failover(context, record,
                                               update.automatic_failover)
        if update.set_policy:
            instance_api.set_backup_policy(context, record,
                                           update.backup_policy)
        if update.access is not None:
            actions.update_access(context, record, update.access)
        if update.name is not None:
            instance_api.rename(context, record, update.name)
        return base.empty_response(202)

    @pecan.expose('json')
    def put(self, instance_id=None):
        """Rename the instance, attach a configuration group to it
        (``configuration``: its id) or detach its group
        (``configuration``: null, or an empty body object), or change its
        ``access``."""
        return self._update(instance_id, 'instance:update')

    @pecan.expose('json')
    def patch(self, instance_id=None):
        """Trove's deprecated alias of PUT."""
        return self._update(instance_id, 'instance:edit')

    # 'json' although the reply is empty: clients send Accept JSON, and
    # Pecan answers 406 to that for a handler exposed as text/html.
    @pecan.expose('json')
    def delete(self, instance_id):
        record = base.authorized_instance(instance_id, 'instance:delete')
        instance_api.delete(base.context(), record)
        return base.empty_response(202)
