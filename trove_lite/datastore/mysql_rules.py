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
# Trove's host pattern: optional leading/trailing wildcard around word
# characters, dots and dashes.
_HOST = re.compile(r'^%?[\w.-]*%?\Z', re.ASCII)
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


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
    if name in reserved_users():
        return f'user name {name!r} is reserved'
    return None


def check_host(host):
    if not isinstance(host, str) or not host:
        return 'host must be a non-empty string'
    if len(host) > MAX_HOST:
        return f'host is longer than {MAX_HOST} characters'
    if '/' in host:
        try:
            ipaddress.ip_network(host, strict=True)
        except ValueError:
            return f'host {host!r} is not a valid CIDR'
        return None
    if not _HOST.match(host):
        return (f'host {host!r} must be "%", an IP address, a CIDR or a '
                f'host name with an optional "%" wildcard')
    return None


def check_password(password):
    if not isinstance(password, str) or not password:
        return 'password must be a non-empty string'
    if len(password) > MAX_PASSWORD:
        return f'password is longer than {MAX_PASSWORD} characters'
    if _CONTROL.search(password):
        return 'password must not contain control characters'
    if not _HAS_ALNUM.search(password):
        return 'password needs at least one letter or digit'
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
