"""The option file of a guest's MariaDB/MySQL server.

One place decides the server settings, for the image template
(``mariadb-install-db``) and for every guest started from it, so the two
always agree (InnoDB refuses a datadir made with other log settings).
"""

import os

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

MIN_BUFFER_POOL_MB = 16


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


def render(settings):
    """An option file with one [mariadbd] section."""
    lines = ['[mariadbd]']
    for name, value in settings.items():
        lines.append(name if value is None else f'{name}={value}')
    return '\n'.join(lines) + '\n'


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
    settings.update(BASE_SETTINGS)
    settings.update(memory_settings(memory_mb))
    settings.update(overrides or {})
    return settings


def template_settings():
    """Settings for initialising an image's template datadir."""
    settings = dict(BASE_SETTINGS)
    settings.update(memory_settings(0))
    if os.geteuid() == 0:
        settings['user'] = 'root'
    return settings


def parse(path):
    """The settings of an option file written by ``render``."""
    settings = {}
    with open(path) as options:
        for line in options:
            line = line.strip()
            if not line or line.startswith(('[', '#')):
                continue
            name, separator, value = line.partition('=')
            settings[name] = value if separator else None
    return settings
