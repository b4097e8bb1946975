"""The option file of a guest's MariaDB/MySQL server.

One place decides the server settings, for the image template
(``mariadb-install-db``) and for every guest started from it, so the two
always agree (InnoDB refuses a datadir made with other log settings). A
guest's settings are the base ones, those that follow its flavor's RAM,
and the overrides of its configuration group, which win.
"""

import hashlib
import os
import re
import tempfile

from trove_lite.datastore import mysql_rules

# Small, fixed settings: a guest costs ~50 MiB idle instead of ~100 MiB.
BASE_SETTINGS = {
    'innodb_log_file_size': '4M',
    'innodb_log_buffer_size': '1M',
    'performance_schema': 'OFF',
    'skip-name-resolve': None,
    'key_buffer_size': '1M',
    'aria_pagecache_buffer_size': '1M',
    'query_cache_size': '0',
    'table_open_cache': '64',
    'table_definition_cache': '400',
    'thread_cache_size': '2',
    'tmp_table_size': '1M',
    'max_heap_table_size': '1M',
    'character_set_server': 'utf8mb4',
    'collation_server': 'utf8mb4_general_ci',
}

# Settings the guest agent relies on, never a configuration group's:
# where the server keeps its files and listens, who may reach it, and
# read_only, which the agent sets while the volume is full.
MANAGED_OPTIONS = frozenset({
    'datadir', 'socket', 'pid_file', 'log_error', 'bind_address', 'port',
    'user', 'skip_name_resolve', 'skip_networking', 'read_only',
    'init_file', 'plugin_dir', 'tmpdir'})

MIN_BUFFER_POOL_MB = 16

# An option value needs no quotes when it is only these characters.
_PLAIN_VALUE = re.compile(r'^[A-Za-z0-9_.,:/+-]+\Z')


def memory_settings(memory_mb):
    """Settings that follow the flavor's RAM: the buffer pool gets an
    eighth of it (at least 16 MiB), connections scale with it."""
    buffer_pool_mb = max(MIN_BUFFER_POOL_MB, memory_mb // 8)
    return {
        'innodb_buffer_pool_size': f'{buffer_pool_mb}M',
        'max_connections': str(max(20, min(memory_mb // 16, 500))),
    }


def to_bytes(value):
    """'16M' -> 16777216; plain numbers unchanged (as int)."""
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    if value[-1:].upper() in units:
        return int(value[:-1]) * units[value[-1:].upper()]
    return int(value)


def sql_value(value):
    """A setting's value as ``SET GLOBAL`` takes it: numbers (``16M``
    included) as integers, anything else as it is."""
    if isinstance(value, str) and re.match(r'^[0-9]+[KMG]?\Z', value,
                                           re.IGNORECASE):
        return to_bytes(value)
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    return value


def option_value(value):
    """A setting's value as an option file line writes it: booleans
    ``ON``/``OFF``, numbers as numbers, text in double quotes (with
    ``\\`` and ``"`` escaped) unless it is a plain word."""
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    if isinstance(value, (int, float)):
        return repr(value)
    if _PLAIN_VALUE.match(value):
        return value
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


def option_name(name):
    """An option's name in one spelling (the server takes "-" and "_"
    alike)."""
    return name.replace('-', '_').lower()


def check_overrides(overrides):
    """Refuse overrides the guest cannot write safely: names that are
    not plain words or that the agent manages itself (ValueError)."""
    for name, value in overrides.items():
        if not re.match(r'^[a-z][a-z0-9_]*\Z', name) or \
                option_name(name) in MANAGED_OPTIONS:
            raise ValueError(f'{name!r} cannot be set by a configuration '
                             f'group')
        if isinstance(value, str) and re.search(r'[\x00-\x1f\x7f]', value):
            raise ValueError(f'the value of {name} has control characters')


def render(settings):
    """An option file with one [mariadbd] section."""
    lines = ['[mariadbd]']
    for name, value in settings.items():
        lines.append(name if value is None else
                     f'{name}={option_value(value)}')
    return '\n'.join(lines) + '\n'


def tunable_settings(memory_mb, overrides=None):
    """The settings a guest's server runs with, besides where it keeps
    its files and listens: base, flavor, then the overrides."""
    overrides = overrides or {}
    settings = dict(BASE_SETTINGS)
    settings.update(memory_settings(memory_mb))
    # A collation must belong to the server's character set, or the
    # server does not start: an override of either decides both.
    if 'collation_server' in overrides:
        settings['character_set_server'] = _character_set_of(
            overrides['collation_server'])
    elif 'character_set_server' in overrides:
        del settings['collation_server']
    settings.update(overrides)
    return settings


def _character_set_of(collation):
    for name, entry in mysql_rules.character_sets().items():
        if collation.lower() in entry['collations']:
            return name
    raise ValueError(f'unknown collation {collation!r}')


# A unix socket path holds at most 107 bytes (sun_path); mariadbd fails to
# start with a longer one.
MAX_SOCKET_PATH = 107


def run_dir_for(sandbox_path):
    """Where the server's socket and pid file go: in the sandbox, unless
    that path is too long for a socket (a deep state directory); then in a
    short directory under /tmp named after the sandbox, the same on every
    start."""
    run_dir = os.path.join(sandbox_path, 'run')
    if len(os.path.join(run_dir, 'mysqld.sock')) <= MAX_SOCKET_PATH:
        return run_dir
    digest = hashlib.sha1(sandbox_path.encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f'trove-lite-{digest}')


def server_settings(datadir, run_dir, log_dir, bind_address, port,
                    memory_mb, overrides=None):
    """Every setting of a guest's server."""
    settings = {
        'datadir': datadir,
        'socket': os.path.join(run_dir, 'mysqld.sock'),
        'pid-file': os.path.join(run_dir, 'mysqld.pid'),
        'log-error': os.path.join(log_dir, 'mysqld.err'),
        'bind-address': bind_address,
        'port': str(port),
    }
    if os.geteuid() == 0:
        settings['user'] = 'root'
    settings.update(tunable_settings(memory_mb, overrides))
    return settings


def template_settings():
    """Settings for initialising an image's template datadir."""
    settings = dict(BASE_SETTINGS)
    settings.update(memory_settings(0))
    if os.geteuid() == 0:
        settings['user'] = 'root'
    return settings


def default_value(name, memory_mb):
    """What a setting returns to when a group no longer sets it: its
    base or flavor value (as ``SET GLOBAL`` takes it), or None for the
    server's compiled-in default."""
    for setting, value in tunable_settings(memory_mb).items():
        if option_name(setting) == option_name(name):
            return sql_value(value)
    return None
