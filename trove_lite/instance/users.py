"""Users and their database access on a running instance
(``/instances/{id}/users``).

Lookups, grants and revokes are RPC calls to the guest; creating,
dropping, renaming and changing passwords are casts, as in Trove. Each
change first checks, with a call, that the users it needs exist (404) or
that the ones it would create do not (400).
"""

from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.datastore import mysql_rules
from trove_lite.instance import api as instance_api


def user_id(name, host):
    """How Trove names a user in messages and markers."""
    return f'{name}@{host}'


def _get(context, guest, name, host):
    """The UserSpec, or UserNotFound."""
    user = guest.get_user(context, name, host)
    if user is None:
        raise exceptions.UserNotFound(uuid=user_id(name, host))
    return user


def _refuse_existing(context, guest, name, host):
    if guest.get_user(context, name, host) is not None:
        raise exceptions.UserAlreadyExists(name=name)


def list_users(context, record, limit, marker=None):
    """One page of the users of the instance (a record from
    instance.api.get), reserved ones left out: ``(UserSpecs,
    next_marker)``."""
    guest = instance_api.running_guest(record)
    users, next_marker = guest.list_users(context, limit=limit,
                                          marker=marker)
    reserved = mysql_rules.reserved_users()
    return [u for u in users if u.name not in reserved], next_marker


def get(context, record, name, host):
    return _get(context, instance_api.running_guest(record), name, host)


def create(context, record, users):
    """Create UserSpecs (with grants); none may exist yet."""
    guest = instance_api.running_guest(record)
    for user in users:
        _refuse_existing(context, guest, user.name, user.host)
    guest.create_user(context, users)


def delete(context, record, name, host):
    guest = instance_api.running_guest(record)
    _get(context, guest, name, host)
    guest.delete_user(context, objects.UserSpec(name=name, host=host))


def update_attributes(context, record, name, host, attributes):
    """Rename, move or re-password one user; the new name and host must
    not be another user's."""
    guest = instance_api.running_guest(record)
    _get(context, guest, name, host)
    new_name = attributes.get('name', name)
    new_host = attributes.get('host', host)
    if (new_name, new_host) != (name, host):
        _refuse_existing(context, guest, new_name, new_host)
    guest.update_attributes(context, name, host, attributes)


def change_passwords(context, record, users):
    """New passwords (UserSpecs) for users that must all exist."""
    guest = instance_api.running_guest(record)
    for user in users:
        _get(context, guest, user.name, user.host)
    guest.change_passwords(context, users)


def list_access(context, record, name, host):
    """The databases (DatabaseSpecs) the user may use."""
    guest = instance_api.running_guest(record)
    _get(context, guest, name, host)
    return guest.list_access(context, name, host)


def grant(context, record, name, host, databases):
    """All privileges on ``databases`` (names) for the user."""
    guest = instance_api.running_guest(record)
    _get(context, guest, name, host)
    guest.grant_access(context, name, host, databases)


def revoke(context, record, name, host, database):
    """Take the user's access to ``database`` away (404 unless it has
    it)."""
    guest = instance_api.running_guest(record)
    _get(context, guest, name, host)
    granted = {d.name for d in guest.list_access(context, name, host)}
    if database not in granted:
        raise exceptions.DatabaseNotFound(uuid=database)
    guest.revoke_access(context, name, host, database)
