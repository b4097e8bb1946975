"""The option file of a guest's MariaDB/MySQL server.

One place decides the server settings, for the image template
(``mariadb-install-db``) and for every guest started from it, so the two
always agree (InnoDB refuses a datadir made with other log settings). A
guest's settings are the base ones, those that follow its flavor's RAM,
and the overrides of its configuration group, which win.

What a configuration group may put into the option file is an allow-list
(``SETTABLE_OPTIONS``), each a whole option name of the server, vetted to
name no file, plugin or account. A deny-list cannot work: the server
takes any unique prefix of an option's name (``init-fil`` is
``init_file``).

The server never runs as root: the agent runs as the guest's own user
(local driver) and the server with it, and ``secure_file_priv`` confines
the server's file statements to a directory of the sandbox.
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

# Every guest writes a row-based binary log with GTIDs (MariaDB's are
# always on; the server id makes them this server's), in its datadir:
# the archive point-in-time restore replays. Files the archiver has not
# taken still go after a week, so a guest without a backup policy does
# not fill its volume.
BINLOG_SETTINGS = {
    'log_bin': 'mysql-bin',
    'binlog_format': 'ROW',
    'server_id': '1',
    'binlog_expire_logs_seconds': str(7 * 86400),
    # A replica logs what it applies, so it can become a source its
    # fellow replicas follow (promote, eject).
    'log_slave_updates': 'ON',
}


# Every guest acknowledges, as a replica, the events of a source that
# asks for it (semi-synchronous replication, built into MariaDB since
# 10.3): a source without rpl_semi_sync_master_enabled asks nothing, and
# a replica attached, re-pointed or restarted acknowledges from its first
# event, whichever member becomes the source. A configuration group may
# turn it off.
REPLICA_SETTINGS = {
    'rpl_semi_sync_slave_enabled': 'ON',
}

# The source side of semi-synchronous replication holds on a writable
# source only: a replica's applier, which logs what it applies, would
# wait commit after commit for acknowledgements nobody sends. A replica
# (or an ejected source) runs with these values whatever its group says,
# and takes its group's when it becomes a source (promote, eject,
# detach): one group can serve every member of a set.
SOURCE_ONLY_SETTINGS = {
    'rpl_semi_sync_master_enabled': 'OFF',
}


def for_role(settings, source):
    """``settings`` (names to values) as a server takes them in its
    replication role: unchanged on a ``source``, the source-only ones
    replaced otherwise."""
    if source:
        return settings
    return {name: SOURCE_ONLY_SETTINGS.get(option_name(name), value)
            for name, value in settings.items()}


def server_id_of(instance_id):
    """The instance's own replication server id (1 .. 2**32-1): a replica
    skips the events that carry its own id, so servers that replicate
    from each other must differ."""
    digest = hashlib.sha256(instance_id.encode()).hexdigest()
    return int(digest[:8], 16) % (2 ** 32 - 2) + 1

# Options of the binary log a configuration group may not name: the
# settings above and what would switch them off or drop files.
_BINLOG_OPTION = re.compile(
    r'(log_bin|binlog|sql_log_bin|gtid|server_id|expire_logs|max_binlog|'
    r'sync_binlog|log_slave|log_replica)')


def is_binlog_option(name):
    """Whether ``name`` (any spelling, any prefix of it) is an option of
    the binary log point-in-time restore relies on."""
    return bool(_BINLOG_OPTION.match(name.replace('-', '_').lower()))


# The options a configuration group may set, each a whole option name
# of the server (the server reads a prefix as the option it begins), none
# naming a file, a directory, a plugin, an account or where the server
# listens, and not read_only, which the agent sets while the volume is
# full (and a replica always). The rpl_semi_sync_* options turn on
# semi-synchronous replication: set on a source, a commit returns once a
# replica has acknowledged it. The catalogue trove-lite ships lists no
# other; an operator's may list fewer.
SETTABLE_OPTIONS = frozenset({
    'auto_increment_increment', 'auto_increment_offset', 'autocommit',
    'back_log', 'bulk_insert_buffer_size', 'character_set_server',
    'collation_server', 'concurrent_insert', 'connect_timeout',
    'default_storage_engine', 'default_week_format',
    'div_precision_increment', 'eq_range_index_dive_limit',
    'event_scheduler',
    'explicit_defaults_for_timestamp', 'ft_min_word_len', 'general_log',
    'group_concat_max_len', 'innodb_adaptive_hash_index',
    'innodb_autoinc_lock_mode', 'innodb_buffer_pool_size',
    'innodb_deadlock_detect', 'innodb_default_row_format',
    'innodb_doublewrite', 'innodb_file_per_table',
    'innodb_flush_log_at_trx_commit', 'innodb_flush_neighbors',
    'innodb_ft_min_token_size', 'innodb_io_capacity',
    'innodb_io_capacity_max', 'innodb_lock_wait_timeout',
    'innodb_log_buffer_size', 'innodb_lru_scan_depth',
    'innodb_max_dirty_pages_pct', 'innodb_old_blocks_time',
    'innodb_open_files', 'innodb_print_all_deadlocks',
    'innodb_purge_threads', 'innodb_random_read_ahead',
    'innodb_read_ahead_threshold', 'innodb_read_io_threads',
    'innodb_rollback_on_timeout', 'innodb_sort_buffer_size',
    'innodb_stats_auto_recalc', 'innodb_stats_on_metadata',
    'innodb_stats_persistent', 'innodb_stats_persistent_sample_pages',
    'innodb_stats_transient_sample_pages', 'innodb_strict_mode',
    'innodb_write_io_threads', 'interactive_timeout', 'join_buffer_size',
    'key_buffer_size', 'local_infile', 'lock_wait_timeout', 'log_output',
    'log_queries_not_using_indexes', 'log_warnings', 'long_query_time',
    'max_allowed_packet', 'max_connect_errors', 'max_connections',
    'max_error_count', 'max_heap_table_size', 'max_length_for_sort_data',
    'max_prepared_stmt_count', 'max_seeks_for_key', 'max_sort_length',
    'max_statement_time', 'max_user_connections', 'max_write_lock_count',
    'min_examined_row_limit', 'net_buffer_length', 'net_read_timeout',
    'net_write_timeout', 'open_files_limit', 'optimizer_prune_level',
    'optimizer_search_depth', 'performance_schema',
    'query_alloc_block_size', 'query_cache_limit', 'query_cache_size',
    'query_cache_type', 'query_prealloc_size', 'range_alloc_block_size',
    'read_buffer_size', 'read_rnd_buffer_size',
    'rpl_semi_sync_master_enabled', 'rpl_semi_sync_master_timeout',
    'rpl_semi_sync_master_wait_no_slave', 'rpl_semi_sync_master_wait_point',
    'rpl_semi_sync_slave_enabled', 'slow_query_log',
    'sort_buffer_size', 'sql_mode', 'table_definition_cache',
    'table_open_cache', 'table_open_cache_instances', 'thread_cache_size',
    'tmp_table_size', 'transaction_alloc_block_size',
    'transaction_prealloc_size', 'wait_timeout'})

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
    """Refuse overrides the guest does not write: a name that is not
    exactly one of ``SETTABLE_OPTIONS`` (no prefix, no other spelling),
    a value with control characters (ValueError)."""
    for name, value in overrides.items():
        if name not in SETTABLE_OPTIONS:
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
    its files and listens: base, flavor, replica, then the overrides."""
    overrides = overrides or {}
    settings = dict(BASE_SETTINGS)
    settings.update(memory_settings(memory_mb))
    settings.update(REPLICA_SETTINGS)
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


# The database logs a guest keeps (Trove's guest logs), files of its log
# directory.
LOG_FILES = {'general': 'general.log', 'slow_query': 'slow.log',
             'error': 'mysqld.err'}
# Logs that are always on (Trove's SYS logs); the others are the owner's.
SYSTEM_LOGS = frozenset({'error'})


def server_settings(datadir, run_dir, log_dir, files_dir, bind_address,
                    port, memory_mb, overrides=None, os_user=None,
                    server_id=None, enabled_logs=(), source=True):
    """Every setting of a guest's server; ``files_dir`` is the one
    directory its file statements may use (secure_file_priv), ``os_user``
    the unix user it runs as when started by root (None: the agent's),
    ``enabled_logs`` the switches (``general_log``, ``slow_query_log``)
    of the logs the owner turned on, ``source`` whether it takes writes
    as a replication source may (see for_role)."""
    settings = {
        'datadir': datadir,
        'socket': os.path.join(run_dir, 'mysqld.sock'),
        'pid-file': os.path.join(run_dir, 'mysqld.pid'),
        'log-error': os.path.join(log_dir, LOG_FILES['error']),
        'general_log_file': os.path.join(log_dir, LOG_FILES['general']),
        'slow_query_log_file': os.path.join(log_dir,
                                            LOG_FILES['slow_query']),
        'secure-file-priv': files_dir,
        'bind-address': bind_address,
        'port': str(port),
    }
    if os_user is not None:
        settings['user'] = os_user
    settings.update(BINLOG_SETTINGS)
    if server_id is not None:
        settings['server_id'] = str(server_id)
    settings.update({switch: '1' for switch in enabled_logs})
    settings.update(for_role(tunable_settings(memory_mb, overrides),
                             source))
    return settings


def template_settings():
    """Settings for initialising an image's template datadir."""
    settings = dict(BASE_SETTINGS)
    settings.update(memory_settings(0))
    return settings


def default_value(name, memory_mb):
    """What a setting returns to when a group no longer sets it: its
    base or flavor value (as ``SET GLOBAL`` takes it), or None for the
    server's compiled-in default."""
    for setting, value in tunable_settings(memory_mb).items():
        if option_name(setting) == option_name(name):
            return sql_value(value)
    return None
