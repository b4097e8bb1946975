"""Request body validation: every rule the guest would enforce later is
checked here first, so a bad request writes nothing and sends nothing.

Failures raise ValidationError, which the API renders as Trove's
``{"badRequest": {"code": 400, "message": "Validation error: ..."}}``.
"""

import datetime
import ipaddress
import re
import urllib.parse

from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.datastore import mysql_rules
from trove_lite.instance import backup_policy as backup_policy_api

MAX_NAME = 255
_HAS_ALNUM = re.compile(r'[0-9a-zA-Z]')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_VOLUME_SIZE = re.compile(r'^0*[1-9][0-9]*$')
MAX_RETENTION_DAYS = 35
_WINDOW = re.compile(r'([01][0-9]|2[0-3]):([0-5][0-9])-'
                     r'([01][0-9]|2[0-3]):([0-5][0-9])')


def fail(path, problem):
    raise exceptions.ValidationError(detail=f'{path} {problem}')


def require_object(value, path):
    if not isinstance(value, dict):
        fail(path, f'{_describe(value)} is not of type \'object\'')
    return value


def require_list(value, path):
    if not isinstance(value, list):
        fail(path, f'{_describe(value)} is not of type \'array\'')
    return value


def _describe(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def body_object(body, key):
    """``body[key]`` as a dict; Trove's message when missing."""
    require_object(body, 'body')
    if key not in body:
        fail('body', f"'{key}' is a required property")
    return require_object(body[key], key)


def non_empty_name(value, path, max_length=MAX_NAME):
    """A display name: 1-255 characters with a letter or digit and no
    control characters (Trove's rule, plus the control characters)."""
    if not isinstance(value, str):
        fail(path, f'{_describe(value)} is not of type \'string\'')
    if not value.strip():
        fail(path, f'{_describe(value)} is too short')
    if len(value) > max_length:
        fail(path, f'is longer than {max_length} characters')
    if _CONTROL.search(value):
        fail(path, 'must not contain control characters')
    if not _HAS_ALNUM.search(value):
        fail(path, f'{_describe(value)} does not match '
                   f"'^.*[0-9a-zA-Z]+.*$'")
    return value


def reference(value, path):
    """A flavor or other reference: an id, an integer or an href (the last
    path segment is the id)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        fail(path, f'{_describe(value)} is not of type \'string\', '
                   f'\'integer\'')
    value = str(value).rstrip('/').rsplit('/', 1)[-1]
    if not value or len(value) > MAX_NAME or _CONTROL.search(value):
        fail(path, 'is not a valid reference')
    return value


def volume_size(volume, path):
    require_object(volume, path)
    if 'size' not in volume:
        raise exceptions.VolumeSizeNotSpecified()
    size = volume['size']
    if isinstance(size, bool):
        fail(f"{path}['size']", f'{size!r} is not valid under any of the '
                                f'given schemas')
    if isinstance(size, str) and _VOLUME_SIZE.match(size) and \
            len(size) <= 40:
        size = int(size)
    if not isinstance(size, int) or size < 1:
        fail(f"{path}['size']", f'{_describe(size)} is not valid under any '
                                f'of the given schemas')
    volume_type = volume.get('type')
    if volume_type is not None:
        non_empty_name(volume_type, f"{path}['type']")
    return size, volume_type


def positive_int(value, path):
    """A whole number of at least 1 (Trove's replica_count schema)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail(path, f'{_describe(value)} is not valid under any of the '
                   f'given schemas')
    return value


def failover(value, path):
    """trove-lite's ``{"automatic": bool}``: whether the replicas of a
    source replace it by themselves when it fails."""
    require_object(value, path)
    unexpected = sorted(set(value) - {'automatic'})
    if unexpected:
        fail(path, f'Additional properties are not allowed '
                   f'({unexpected[0]!r} was unexpected)')
    if not isinstance(value.get('automatic'), bool):
        fail(f"{path}['automatic']", 'must be true or false')
    return value['automatic']


def datastore_ref(value, path):
    """``{"type", "version", "version_number"}``, each optional."""
    require_object(value, path)
    result = {}
    for key in ('type', 'version', 'version_number'):
        if value.get(key) is not None:
            result[key] = non_empty_name(value[key], f"{path}['{key}']")
    return result


def databases(values, path):
    """A list of ``{name, character_set?, collate?}`` with unique names."""
    require_list(values, path)
    result, seen = [], set()
    for index, value in enumerate(values):
        item_path = f'{path}[{index}]'
        require_object(value, item_path)
        name = database_name(value.get('name'), f"{item_path}['name']")
        if name in seen:
            fail(item_path, f'database {name!r} is listed twice')
        seen.add(name)
        character_set = value.get('character_set')
        collate = value.get('collate')
        problem = mysql_rules.check_character_set(character_set, collate)
        if problem:
            fail(item_path, problem)
        result.append(objects.DatabaseSpec(name=name,
                                           character_set=character_set,
                                           collate=collate))
    return result


def user(value, path, require_password=True):
    """One ``{name, password, host?, databases?}``."""
    require_object(value, path)
    name = value.get('name')
    problem = mysql_rules.check_user_name(name)
    if problem:
        fail(f"{path}['name']", problem)
    password = value.get('password')
    if require_password or password is not None:
        problem = mysql_rules.check_password(password)
        if problem:
            fail(f"{path}['password']", problem)
    host = value.get('host')
    host = '%' if host is None else user_host(host, f"{path}['host']")
    granted = database_names(value.get('databases', []),
                             f"{path}['databases']")
    return objects.UserSpec(name=name, password=password, host=host,
                            databases=granted)


def user_host(host, path):
    """A checked host in its one canonical spelling."""
    problem = mysql_rules.check_host(host)
    if problem:
        fail(path, problem)
    return mysql_rules.canonical_host(host)


def database_name(name, path):
    """A checked database name."""
    problem = mysql_rules.check_database_name(name)
    if problem:
        fail(path, problem)
    return name


def database_names(values, path):
    """A list of ``{"name": ..}`` as the names, each checked once."""
    names = []
    for index, database in enumerate(require_list(values, path)):
        db_path = f'{path}[{index}]'
        require_object(database, db_path)
        name = database_name(database.get('name'), f"{db_path}['name']")
        if name not in names:
            names.append(name)
    return names


def users(values, path, known_databases=None):
    """A list of users, unique by (name, host); with ``known_databases``,
    every granted database must be among them."""
    require_list(values, path)
    result, seen = [], set()
    for index, value in enumerate(values):
        spec = user(value, f'{path}[{index}]')
        if (spec.name, spec.host) in seen:
            fail(f'{path}[{index}]', f'user {spec.name!r}@{spec.host!r} is '
                                     f'listed twice')
        seen.add((spec.name, spec.host))
        if known_databases is not None:
            for database in spec.databases:
                if database not in known_databases:
                    fail(f'{path}[{index}]', f'database {database!r} is '
                                             f'not in the databases list')
        result.append(spec)
    return result


def user_attributes(body):
    """``{"user": {name?, password?, host?}}`` with at least one of them;
    returns only the attributes given."""
    value = body_object(body, 'user')
    attributes = {}
    if value.get('name') is not None:
        problem = mysql_rules.check_user_name(value['name'])
        if problem:
            fail("user['name']", problem)
        attributes['name'] = value['name']
    if value.get('password') is not None:
        problem = mysql_rules.check_password(value['password'])
        if problem:
            fail("user['password']", problem)
        attributes['password'] = value['password']
    if value.get('host') is not None:
        attributes['host'] = user_host(value['host'], "user['host']")
    if not attributes:
        fail('user', "needs at least one of 'name', 'password', 'host'")
    return attributes


def password_changes(body):
    """``{"users": [{name, password, host?}]}`` for a password change."""
    values = require_list(body_object_value(body, 'users'), 'users')
    changes = []
    for index, value in enumerate(values):
        spec = user(value, f'users[{index}]')
        spec.databases = []
        changes.append(spec)
    return changes


def body_object_value(body, key):
    """``body[key]`` of an object body, whatever its type."""
    require_object(body, 'body')
    if key not in body:
        fail('body', f"'{key}' is a required property")
    return body[key]


def root_password(body):
    """The optional ``{"password": ..}`` of a root enable; None when the
    body is empty or has no password (a password is then generated)."""
    if not body:
        return None
    require_object(body, 'body')
    password = body.get('password')
    if password is None:
        return None
    problem = mysql_rules.check_password(password)
    if problem:
        fail("body['password']", problem)
    return password


def user_id(segment):
    """``(name, host)`` of a user id in a path: the URL-quoted ``name`` or
    ``name@host`` (split at the last "@"; no host means "%"), unquoted once
    more as Trove does for clients that quote twice."""
    text = urllib.parse.unquote(segment)
    name, separator, host = text.rpartition('@')
    if not separator:
        name, host = text, '%'
    problem = mysql_rules.check_user_name(name)
    if problem:
        fail('user', problem)
    return name, user_host(host or '%', 'host')


def backup_policy(value, path):
    """A request's ``backup_policy`` as a PolicyRequest, None for null
    (no policy); ValidationError for anything else."""
    if value is None:
        return None
    require_object(value, path)
    unexpected = sorted(set(value) - {'retention_days', 'window'})
    if unexpected:
        fail(path, f'Additional properties are not allowed '
                   f'({unexpected[0]!r} was unexpected)')
    for key in ('retention_days', 'window'):
        if key not in value:
            fail(path, f"'{key}' is a required property")
    days = value['retention_days']
    if isinstance(days, bool) or not isinstance(days, int) or \
            not 1 <= days <= MAX_RETENTION_DAYS:
        fail(f"{path}['retention_days']",
             f'{_describe(days)} is not an integer from 1 to '
             f'{MAX_RETENTION_DAYS}')
    window = value['window']
    match = _WINDOW.fullmatch(window) if isinstance(window, str) else None
    if match is None:
        fail(f"{path}['window']",
             f'{_describe(window)} is not a window "HH:MM-HH:MM" (UTC)')
    hour, minute, end_hour, end_minute = (int(g) for g in match.groups())
    return backup_policy_api.PolicyRequest(
        days, hour * 60 + minute, end_hour * 60 + end_minute)


def utc_time(value, path):
    """An ISO 8601 time as a naive UTC datetime to the second (a time
    without an offset is UTC)."""
    if not isinstance(value, str):
        fail(path, f'{_describe(value)} is not of type \'string\'')
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        fail(path, f'{_describe(value)} is not an ISO 8601 time')
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


# More CIDRs than any office network needs would only make long rule
# sets (Neutron rules, nftables elements) at the tenant's request.
MAX_ALLOWED_CIDRS = 64


def access(value, path):
    """Trove's ``access`` object: ``is_public`` (a boolean) and
    ``allowed_cidrs`` (distinct IPv4 or IPv6 networks), each optional. The
    networks come back in their canonical spelling (``10.0.0.9/8`` is
    ``10.0.0.0/8``), the keys as given: the views show what was asked."""
    require_object(value, path)
    unexpected = sorted(set(value) - {'is_public', 'allowed_cidrs'})
    if unexpected:
        # A misspelt key would otherwise leave the instance open.
        fail(path, f'Additional properties are not allowed '
                   f'({unexpected[0]!r} was unexpected)')
    result = {}
    if 'is_public' in value:
        if not isinstance(value['is_public'], bool):
            fail(f"{path}['is_public']", f"{_describe(value['is_public'])} "
                                         f"is not of type 'boolean'")
        result['is_public'] = value['is_public']
    if 'allowed_cidrs' in value:
        cidrs_path = f"{path}['allowed_cidrs']"
        cidrs = require_list(value['allowed_cidrs'], cidrs_path)
        if len(cidrs) > MAX_ALLOWED_CIDRS:
            fail(cidrs_path, f'has more than {MAX_ALLOWED_CIDRS} items')
        result['allowed_cidrs'] = []
        for index, cidr in enumerate(cidrs):
            network = _network(cidr, f'{cidrs_path}[{index}]')
            if network in result['allowed_cidrs']:
                fail(cidrs_path, f'has non-unique elements ({network})')
            result['allowed_cidrs'].append(network)
    return result


def _network(value, path):
    """An IPv4 or IPv6 network (a bare address is one host) in its
    canonical spelling."""
    if not isinstance(value, str):
        fail(path, f"{_describe(value)} is not of type 'string'")
    try:
        if '%' in value:  # an IPv6 zone: no firewall matches on one
            raise ValueError(value)
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        fail(path, f'{_describe(value)} is not an IPv4 or IPv6 CIDR')


_UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                   r'[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
NIC_KEYS = ('net-id', 'network_id', 'subnet_id', 'ip_address')


def nics(value, path):
    """Trove's ``nics``: at most one ``{"net-id" or "network_id",
    "subnet_id", "ip_address"}`` (no other keys; ids are UUIDs, the
    address IPv4). Each comes back as ``{"network_id", "subnet_id",
    "ip_address"}`` with the keys given (``net-id`` is ``network_id``)."""
    require_list(value, path)
    if len(value) > 1:
        fail(path, f'{_describe(value)} is too long')
    return [_nic(nic, f'{path}[{index}]') for index, nic in enumerate(value)]


def _nic(value, path):
    require_object(value, path)
    unexpected = sorted(set(value) - set(NIC_KEYS))
    if unexpected:
        fail(path, f'Additional properties are not allowed '
                   f'({unexpected[0]!r} was unexpected)')
    for key in ('net-id', 'network_id', 'subnet_id'):
        if key in value and not (isinstance(value[key], str)
                                 and _UUID.match(value[key])):
            fail(f"{path}['{key}']", f'{_describe(value[key])} is not a '
                                     f'UUID')
    if 'ip_address' in value:
        address = value['ip_address']
        try:
            if not isinstance(address, str):
                raise TypeError(address)
            ipaddress.IPv4Address(address)
        except (ValueError, TypeError):
            fail(f"{path}['ip_address']", f'{_describe(address)} is not '
                                          f'an IPv4 address')
    networks = {value[key] for key in ('net-id', 'network_id')
                if key in value}
    if len(networks) > 1:
        fail(path, "names two networks ('net-id' and 'network_id')")
    nic = {'network_id': networks.pop()} if networks else {}
    nic.update((key, value[key]) for key in ('subnet_id', 'ip_address')
               if key in value)
    # Trove's NetworkNotProvided: checked with the schema, not after it.
    if not nic.get('network_id') and not nic.get('subnet_id'):
        raise exceptions.NetworkNotProvided(resource='network or subnet')
    if 'ip_address' in nic and 'subnet_id' not in nic:
        raise exceptions.NetworkNotProvided(resource='subnet')
    return nic


LOG_ACTIONS = ('enable', 'disable', 'publish', 'discard')


def log_action(body):
    """The ``(name, action)`` of a ``POST /instances/{id}/log`` body:
    Trove's ``{"name": ..., "<action>": 1}``, at most one action (None:
    show the log)."""
    require_object(body, 'body')
    unexpected = sorted(set(body) - {'name', *LOG_ACTIONS})
    if unexpected:
        fail('body', f'Additional properties are not allowed '
                     f'({unexpected[0]!r} was unexpected)')
    if 'name' not in body:
        fail('body', "'name' is a required property")
    name = body['name']
    if not isinstance(name, str) or not name:
        fail("body['name']", f"{_describe(name)} is not a log name")
    chosen = []
    for action in LOG_ACTIONS:
        value = body.get(action, 0)
        if value not in (0, 1) or isinstance(value, float):
            fail(f"body['{action}']", f'{_describe(value)} is not 0 or 1')
        if value:
            chosen.append(action)
    if len(chosen) > 1:
        raise exceptions.BadRequest(
            f"Only one action may be given at a time ({', '.join(chosen)}).")
    return name, chosen[0] if chosen else None
