"""``/instances/{id}/users``: users, their attributes and passwords, and
their access to databases (``/users/{user}/databases``).

A user in a path is ``name`` or ``name@host``, URL-quoted. A host that is
a CIDR keeps its "/" in the path (python-troveclient does not quote it),
so ``name@10.0.0.0/8`` arrives as two segments and is joined again here.
"""

import pecan

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import common as common_views
from trove_lite.api.views import users as views
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.instance import users as users_api

ACCESS = 'databases'
USER_RULE = 'instance:extension:user:%s'
ACCESS_RULE = 'instance:extension:user_access:%s'


def parse_user_path(path):
    """``((name, host), rest)`` of the path segments after ``/users``."""
    if not path:
        raise exceptions.NotFound(uuid='')
    segments = list(path)
    user = segments.pop(0)
    # A CIDR's prefix length: the only segment after a user that is not
    # the "databases" sub-resource.
    if segments and segments[0] != ACCESS and '@' in user and \
            segments[0].isdigit():
        user = f'{user}/{segments.pop(0)}'
    return validation.user_id(user), segments


class UsersController(base.NamedMembersController):

    @pecan.expose('json')
    def get_all(self, instance_id):
        limit = base.page_limit(CONF.users_page_size)
        record = base.authorized_instance(instance_id, USER_RULE % 'index')
        specs, next_marker = users_api.list_users(
            base.context(), record, limit, pecan.request.GET.get('marker'))
        result = views.users(specs)
        if next_marker:
            result['links'] = common_views.next_page_links(next_marker)
        return result

    @pecan.expose('json')
    def get_one(self, instance_id, *path):
        (name, host), rest = parse_user_path(path)
        if not rest:
            record = base.authorized_instance(instance_id,
                                              USER_RULE % 'show')
            return {'user': views.user(
                users_api.get(base.context(), record, name, host))}
        if rest == [ACCESS]:
            record = base.authorized_instance(instance_id,
                                              ACCESS_RULE % 'index')
            return views.access(users_api.list_access(
                base.context(), record, name, host))
        raise exceptions.NotFound(uuid='/'.join(path))

    @pecan.expose('json')
    def post(self, instance_id, *path):
        if path:
            raise exceptions.NotFound(uuid='/'.join(path))
        users = validation.users(
            validation.body_object_value(base.json_body(), 'users'),
            'users')
        record = base.authorized_instance(instance_id, USER_RULE % 'create')
        users_api.create(base.context(), record, users)
        return base.empty_response(202)

    @pecan.expose('json')
    def put(self, instance_id, *path):
        context = base.context()
        if not path:
            changes = validation.password_changes(base.json_body())
            record = base.authorized_instance(instance_id,
                                              USER_RULE % 'update_all')
            users_api.change_passwords(context, record, changes)
            return base.empty_response(202)
        (name, host), rest = parse_user_path(path)
        if not rest:
            attributes = validation.user_attributes(base.json_body())
            record = base.authorized_instance(instance_id,
                                              USER_RULE % 'update')
            users_api.update_attributes(context, record, name, host,
                                        attributes)
        elif rest == [ACCESS]:
            databases = validation.database_names(
                validation.body_object_value(base.json_body(), ACCESS),
                ACCESS)
            record = base.authorized_instance(instance_id,
                                              ACCESS_RULE % 'update')
            users_api.grant(context, record, name, host, databases)
        else:
            raise exceptions.NotFound(uuid='/'.join(path))
        return base.empty_response(202)

    @pecan.expose('json')
    def delete(self, instance_id, *path):
        (name, host), rest = parse_user_path(path)
        context = base.context()
        if not rest:
            record = base.authorized_instance(instance_id,
                                              USER_RULE % 'delete')
            users_api.delete(context, record, name, host)
        elif len(rest) == 2 and rest[0] == ACCESS:
            database = validation.database_name(rest[1], 'database')
            record = base.authorized_instance(instance_id,
                                              ACCESS_RULE % 'delete')
            users_api.revoke(context, record, name, host, database)
        else:
            raise exceptions.NotFound(uuid='/'.join(path))
        return base.empty_response(202)
