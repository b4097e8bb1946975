"""What MariaDB/MySQL accepts as database names, user names, hosts,
passwords, character sets and collations: checked at the API, so a bad
name is refused before anything is written or sent to a guest.

Every checker returns an error message, or None when the value is good.
"""

import functools
import ipaddress
import json
import re
from importlib import resources

from trove_lite.conf import CONF

MAX_DATABASE_NAME = 64
MAX_USER_NAME = 16
MAX_PASSWORD = 255
MAX_HOST = 60

# \Z, not $: $ also matches before a final newline ("db\n").
_DATABASE_NAME = re.compile(r'^[A-Za-z0-9_-]+\Z')
_USER_NAME = re.compile(r'^[A-Za-z0-9_.-]+\Z')
_HAS_ALNUM = re.compile(r'[A-Za-z0-9]')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
# Trove's MySQLUser rule for passwords: no quotes, semicolons, backticks,
# commas, slashes or backslashes, and no whitespace at either end.
_PASSWORD_FORBIDDEN = re.compile(r"""^\s|\s\Z|['"`;,/\\]""")
# An IPv4 host pattern with MariaDB's "%" wildcard: "10.0.%", "192.168.%.1".
_HOST_PATTERN_PART = re.compile(r'^(%|[0-9]{1,3})\Z')

HOST_HELP = ('must be "%", an IPv4 address, an IPv4 pattern with "%" such '
             'as "10.0.%", an IPv4 CIDR such as "10.0.0.0/8", or an IPv6 '
             'address; guests resolve no host names')


@functools.cache
def character_sets():
    """{character set: {"default_collation": .., "collations": [..]}} of
    MariaDB 10.11 (read from the server's information_schema)."""
    text = resources.files('trove_lite.datastore').joinpath(
        'mysql_charsets.json').read_text()
    return json.loads(text)


def reserved_databases():
    return set(CONF.mysql.ignore_dbs)


def reserved_users():
    return set(CONF.mysql.ignore_users)


#: The replication accounts a source keeps for its replicas are named
#: with this prefix; tenants can neither see nor make such names.
REPLICATION_USER_PREFIX = 'os_repl_'


def check_database_name(name):
    if not isinstance(name, str) or not name:
        return 'database name must be a non-empty string'
    if len(name) > MAX_DATABASE_NAME:
        return (f'database name {name[:70]!r} is longer than '
                f'{MAX_DATABASE_NAME} characters')
    if not _DATABASE_NAME.match(name) or not _HAS_ALNUM.search(name):
        return (f'database name {name!r} may contain only letters, digits, '
                f'"_" and "-", and needs a letter or digit')
    if name.lower() in reserved_databases():
        return f'database name {name!r} is reserved'
    return None


def check_user_name(name):
    if not isinstance(name, str) or not name:
        return 'user name must be a non-empty string'
    if len(name) > MAX_USER_NAME:
        return (f'user name {name[:70]!r} is longer than {MAX_USER_NAME} '
                f'characters')
    if not _USER_NAME.match(name) or not _HAS_ALNUM.search(name):
        return (f'user name {name!r} may contain only letters, digits, '
                f'".", "_" and "-", and needs a letter or digit')
    if name in reserved_users() or name.startswith(REPLICATION_USER_PREFIX):
        return f'user name {name!r} is reserved'
    return None


def check_host(host):
    """A host MariaDB can match without name resolution (guests run with
    ``skip-name-resolve``, so an account for a host name could never log
    in). A CIDR must be IPv4: MariaDB 10.11 knows only the
    ``address/netmask`` form, which the guest writes for it (see
    ``to_server_host``)."""
    if not isinstance(host, str) or not host:
        return 'host must be a non-empty string'
    if len(host) > MAX_HOST:
        return f'host is longer than {MAX_HOST} characters'
    if _CONTROL.search(host):
        return 'host must not contain control characters'
    if host == '%' or _is_ip_address(host):
        return None
    if '/' in host:
        if ':' in host:
            return (f'host {host!r}: MariaDB matches networks only in '
                    f'IPv4; give an IPv4 CIDR or one IPv6 address')
        try:
            ipaddress.IPv4Network(host, strict=True)
        except ValueError:
            return (f'host {host!r} is not a valid IPv4 CIDR (the address '
                    f'must be the network address)')
        return None
    parts = host.split('.')
    if (len(parts) <= 4 and '%' in parts
            and all(_HOST_PATTERN_PART.match(part) for part in parts)
            and all(part == '%' or int(part) <= 255 for part in parts)):
        return None
    return f'host {host!r} {HOST_HELP}'


def _is_ip_address(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def canonical_host(host):
    """A checked host in one spelling: a CIDR with its prefix length
    (``10.0.0.0/255.0.0.0`` becomes ``10.0.0.0/8``)."""
    if '/' in host:
        return str(ipaddress.IPv4Network(host))
    return host


def to_server_host(host):
    """The Host value MariaDB stores and matches for an API host: an IPv4
    CIDR becomes ``address/netmask``, MariaDB's only network syntax."""
    if '/' in host:
        network = ipaddress.IPv4Network(host)
        return f'{network.network_address}/{network.netmask}'
    return host


def from_server_host(host):
    """The API spelling of a stored Host value (the reverse of
    ``to_server_host``)."""
    if '/' in host:
        try:
            return str(ipaddress.IPv4Network(host))
        except ValueError:
            return host
    return host


def check_password(password):
    if not isinstance(password, str) or not password:
        return 'password must be a non-empty string'
    if len(password) > MAX_PASSWORD:
        return f'password is longer than {MAX_PASSWORD} characters'
    if _CONTROL.search(password):
        return 'password must not contain control characters'
    if not _HAS_ALNUM.search(password):
        return 'password needs at least one letter or digit'
    if _PASSWORD_FORBIDDEN.search(password):
        return ('password must not contain \' " ` ; , / or \\ nor start '
                'or end with a space')
    return None


def check_character_set(character_set, collate):
    """Both optional; when both are given they must belong together."""
    known = character_sets()
    if character_set is not None:
        if not isinstance(character_set, str) or \
                character_set not in known:
            return f'character set {character_set!r} is not supported'
    if collate is not None:
        owner = next((name for name, entry in known.items()
                      if isinstance(collate, str)
                      and collate in entry['collations']), None)
        if owner is None:
            return f'collation {collate!r} is not supported'
        if character_set is not None and owner != character_set:
            return (f'collation {collate!r} does not belong to character '
                    f'set {character_set!r}')
    return None
