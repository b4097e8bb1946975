"""``/backups``, and ``/instances/{id}/backups``. Trove's status codes:
create and delete answer 202."""

import pecan
from oslo_utils import strutils
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import backups as views
from trove_lite.api.views import common as common_views
from trove_lite.backup import api as backup_api
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.conf import CONF

_MAX_DESCRIPTION = 512
_KEYS = ('name', 'instance', 'description', 'parent_id', 'incremental',
         'swift_container', 'storage_driver', 'restore_from')


def _incremental(value):
    # troveclient sends 0 or 1 (Trove's schema); booleans are taken too.
    if value in (0, 1, True, False) and not isinstance(value, float):
        return bool(value)
    validation.fail("backup['incremental']",
                    f'{value!r} is not one of [0, 1]')


def parse_create(body):
    """The create body as a backup_api.CreateRequest."""
    backup = validation.body_object(body, 'backup')
    unexpected = sorted(set(backup) - set(_KEYS))
    if unexpected:
        validation.fail('backup', f'Additional properties are not allowed '
                                  f'({unexpected[0]!r} was unexpected)')
    if backup.get('restore_from') is not None:
        raise exceptions.NotImplementedYet(
            "trove-lite does not support importing a backup "
            "(backup['restore_from']).")
    if 'instance' not in backup:
        validation.fail('backup', "'instance' is a required property")
    request = backup_api.CreateRequest(
        name=validation.non_empty_name(backup.get('name'),
                                       "backup['name']"),
        instance_id=validation.reference(backup['instance'],
                                         "backup['instance']"))
    if backup.get('description') is not None:
        description = backup['description']
        if not isinstance(description, str) or \
                len(description) > _MAX_DESCRIPTION:
            validation.fail("backup['description']",
                            f'must be a string of at most '
                            f'{_MAX_DESCRIPTION} characters')
        request.description = description
    if backup.get('parent_id') is not None:
        request.parent_id = validation.reference(backup['parent_id'],
                                                 "backup['parent_id']")
    if backup.get('incremental') is not None:
        request.incremental = _incremental(backup['incremental'])
    if backup.get('swift_container') is not None:
        request.swift_container = validation.non_empty_name(
            backup['swift_container'], "backup['swift_container']")
    request.storage_driver = _storage_driver(backup.get('storage_driver'))
    if request.storage_driver == backup_api.VOLUME_DRIVER:
        _check_volume_backup(request)
    return request


def _storage_driver(driver):
    """The configured object storage (None: the default), or ``cinder``:
    a snapshot of the instance's volume."""
    if driver is None or driver == CONF.storage_strategy:
        return None
    if driver == backup_api.VOLUME_DRIVER:
        return driver
    validation.fail("backup['storage_driver']",
                    f'{str(driver)[:40]!r} is not one of '
                    f'[{CONF.storage_strategy!r}, '
                    f'{backup_api.VOLUME_DRIVER!r}]')


def _check_volume_backup(request):
    """A volume snapshot is whole: it continues nothing and goes to no
    container."""
    if request.incremental or request.parent_id is not None:
        validation.fail("backup['storage_driver']",
                        "'cinder' backups are full volume snapshots; an "
                        "incremental backup (incremental, parent_id) needs "
                        "the object storage")
    if request.swift_container is not None:
        validation.fail("backup['swift_container']",
                        "a 'cinder' backup is a volume snapshot, stored in "
                        "no container")


def _offset():
    """Trove pages backups by an integer offset in ``marker``."""
    raw = pecan.request.GET.get('marker')
    if raw in (None, ''):
        return 0
    if not raw.isdigit() or len(raw) > 12:
        raise exceptions.BadRequest(
            f'marker must be a backup offset, not {raw[:40]!r}.')
    return int(raw)


def backup_list(context, **filters):
    """One page of backups as ``{"backups": [...], "links"?}``."""
    limit = base.page_limit(CONF.backups_page_size)
    offset = _offset()
    found, more = backup_api.list_page(context, limit, offset, **filters)
    result = {'backups': [views.backup(record) for record in found]}
    if more:
        result['links'] = common_views.next_page_links(
            str(offset + len(found)))
    return result


class BackupsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self):
        context = base.context()
        policy.authorize(context, 'backup:index')
        query = pecan.request.GET
        all_projects = strutils.bool_from_string(
            query.get('all_projects', 'false'))
        if all_projects:
            policy.authorize(context, 'backup:index:all_projects')
        return backup_list(
            context, instance_id=query.get('instance_id') or None,
            datastore=query.get('datastore') or None,
            all_projects=all_projects)

    @pecan.expose('json')
    def get_one(self, backup_id):
        context = base.context()
        backup = backup_api.get(context, backup_id)
        policy.authorize(context, 'backup:show',
                         {'tenant': backup.tenant_id})
        return {'backup': views.backup(backup)}

    @pecan.expose('json')
    def post(self):
        context = base.context()
        policy.authorize(context, 'backup:create')
        request = parse_create(base.json_body())
        record = base.authorized_instance(request.instance_id,
                                          'backup:create')
        request.instance_id = record.id
        backup = backup_api.create(context, request)
        pecan.response.status = 202
        return {'backup': views.backup(backup)}

    @pecan.expose('json')
    def delete(self, backup_id):
        context = base.context()
        backup = backup_api.get(context, backup_id)
        policy.authorize(context, 'backup:delete',
                         {'tenant': backup.tenant_id})
        backup_api.delete(context, backup)
        return base.empty_response(202)


class InstanceBackupsController(rest.RestController):
    """``GET /instances/{id}/backups``."""

    @pecan.expose('json')
    def get_all(self, instance_id):
        record = base.authorized_instance(instance_id, 'instance:backups')
        return backup_list(base.context(), instance_id=record.id,
                           all_projects=base.context().is_admin)
