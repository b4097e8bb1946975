"""SQL the guest runs on its MariaDB/MySQL server.

Every statement is built here: identifiers are quoted with backticks (a
backtick inside is doubled), values are bound parameters, and character
sets and collations must be plain words. Nothing from a request is ever
pasted into SQL unquoted.

Each builder returns ``(statement, parameters)`` for PyMySQL's
``cursor.execute``, which always applies %-formatting: a "%" in quoted
text is therefore written as "%%".
"""

import re

from trove_lite.datastore import mysql_rules

_WORD = re.compile(r'^[A-Za-z0-9_]+\Z')


def quote_identifier(name):
    """A backtick-quoted identifier; NUL cannot be represented."""
    if not name or '\x00' in name:
        raise ValueError('invalid identifier')
    return '`' + name.replace('`', '``').replace('%', '%%') + '`'


def _word(value, what):
    if not _WORD.match(value or ''):
        raise ValueError(f'invalid {what}: {value!r}')
    return value


def session_lock_wait(seconds):
    """The statement that bounds how long a session waits for metadata
    and row locks (a whole number of seconds; it runs as PyMySQL's
    ``init_command``, which binds no parameters)."""
    seconds = int(seconds)
    return (f'SET SESSION lock_wait_timeout = {seconds}, '
            f'innodb_lock_wait_timeout = {seconds}')


def create_database(name, character_set=None, collate=None):
    sql = f'CREATE DATABASE IF NOT EXISTS {quote_identifier(name)}'
    if character_set:
        sql += f' CHARACTER SET {_word(character_set, "character set")}'
    if collate:
        sql += f' COLLATE {_word(collate, "collation")}'
    return sql, ()


def drop_database(name):
    return f'DROP DATABASE IF EXISTS {quote_identifier(name)}', ()


def create_user(name, host, password):
    return 'CREATE USER %s@%s IDENTIFIED BY %s', (name, host, password)


def drop_user(name, host):
    return 'DROP USER IF EXISTS %s@%s', (name, host)


def set_password(name, host, password):
    return 'ALTER USER %s@%s IDENTIFIED BY %s', (name, host, password)


def escape_wildcards(database):
    """A database name as a GRANT pattern that matches only itself: "_"
    and "%" are wildcards there, so ``app_db`` would also match
    ``appXdb``."""
    return (database.replace('\\', '\\\\').replace('_', '\\_')
            .replace('%', '\\%'))


def unescape_wildcards(pattern):
    """The database name of a GRANT pattern made by ``escape_wildcards``."""
    return re.sub(r'\\(.)', r'\1', pattern)


def _database_grant_target(database):
    return f'{quote_identifier(escape_wildcards(database))}.*'


def grant_all_on_database(database, name, host):
    return (f'GRANT ALL PRIVILEGES ON {_database_grant_target(database)} '
            'TO %s@%s', (name, host))


def revoke_all_on_database(database, name, host):
    return (f'REVOKE ALL PRIVILEGES ON {_database_grant_target(database)} '
            'FROM %s@%s', (name, host))


def list_database_grants(name, host):
    """The database patterns an account holds privileges on."""
    return ('SELECT Db FROM mysql.db WHERE User = %s AND Host = %s '
            'ORDER BY Db', (name, host))


def rename_user(name, host, new_name, new_host):
    return 'RENAME USER %s@%s TO %s@%s', (name, host, new_name, new_host)


def create_user_if_missing(name, host, password):
    return ('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
            (name, host, password))


def set_password_if_exists(name, host, password):
    return 'ALTER USER IF EXISTS %s@%s IDENTIFIED BY %s', (name, host,
                                                          password)


# Paging as Trove does it: rows after the marker (or from it, with
# include_marker) in key order, one row more than the page so the caller
# knows whether another page follows. No limit is a limit nobody reaches.
_NO_LIMIT = 2 ** 63


def _page_params(marker, include_marker, limit):
    return (marker, marker, bool(include_marker), marker,
            _NO_LIMIT if limit is None else int(limit) + 1)


def list_databases(ignored, limit=None, marker=None, include_marker=False):
    """Databases with their character set and collation, except
    ``ignored`` (names without commas)."""
    return ('SELECT schema_name, default_character_set_name, '
            'default_collation_name FROM information_schema.schemata '
            'WHERE FIND_IN_SET(schema_name, %s) = 0 '
            'AND (%s IS NULL OR schema_name > %s '
            'OR (%s AND schema_name = %s)) '
            'ORDER BY schema_name LIMIT %s',
            (','.join(ignored),)
            + _page_params(marker, include_marker, limit))


# LIKE pattern of the replication accounts (mysql_rules), "_" escaped.
_REPLICATION_USERS = (
    mysql_rules.REPLICATION_USER_PREFIX.replace('_', '\\_') + '%')


def list_users(ignored, limit=None, marker=None, include_marker=False):
    """Accounts a tenant may see, ordered by ``user@host`` (the marker's
    form): not local (the agent's and the image's own), not anonymous,
    not roles, not ``ignored``."""
    return ("SELECT User, Host FROM mysql.user "
            "WHERE Host != 'localhost' AND User != '' AND is_role = 'N' "
            "AND FIND_IN_SET(User, %s) = 0 AND User NOT LIKE %s "
            "AND (%s IS NULL OR CONCAT(User, '@', Host) > %s "
            "OR (%s AND CONCAT(User, '@', Host) = %s)) "
            "ORDER BY CONCAT(User, '@', Host) LIMIT %s",
            (','.join(ignored), _REPLICATION_USERS)
            + _page_params(marker, include_marker, limit))


def get_user(name, host):
    """The account if a tenant may see it (as in ``list_users``)."""
    return ("SELECT User, Host FROM mysql.user "
            "WHERE Host != 'localhost' AND User != '' AND is_role = 'N' "
            "AND User NOT LIKE %s AND User = %s AND Host = %s",
            (_REPLICATION_USERS, name, host))


def count_remote_root():
    return ("SELECT COUNT(*) FROM mysql.user WHERE User = 'root' "
            "AND Host != 'localhost'", ())


def list_anonymous_accounts():
    return "SELECT User, Host FROM mysql.user WHERE User = ''", ()


def grant_admin(name, host):
    return ('GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION',
            (name, host))


# What a tenant's root may do with the tenant's data, at database level
# on every database: Amazon RDS's master user, less what reaches past the
# data (no FILE, SUPER, SHUTDOWN, PROCESS, RELOAD, replication, CREATE
# USER: see grant_tenant_root).
TENANT_ROOT_PRIVILEGES = (
    'SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, '
    'ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, '
    'SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER')


def grant_tenant_root(name, host):
    """Statements that leave ``name@host`` with the tenant root's
    privileges and nothing else (earlier grants are taken back).

    Nothing is granted on ``*.*`` but SHOW DATABASES: a global privilege
    would hold on the ``mysql`` schema too, whose tables a root could
    edit into any privilege at the next restart. The data privileges are
    granted on the pattern ``%`` (every database), and a grant on
    ``mysql`` itself of SHOW VIEW only takes that schema out: for a
    database, the server uses the most specific grant that matches it,
    and the exact name wins over the pattern. Without CREATE USER (which
    in MariaDB also renames, re-passwords and drops any account, the
    agent's own included), the tenant's users are made through the API;
    root may grant them what it holds on the tenant's databases."""
    account = (name, host)
    return [
        ('REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s', account),
        ('GRANT SHOW DATABASES ON *.* TO %s@%s', account),
        (f'GRANT {TENANT_ROOT_PRIVILEGES} ON `%%`.* TO %s@%s '
         f'WITH GRANT OPTION', account),
        ('GRANT SHOW VIEW ON `mysql`.* TO %s@%s', account),
    ]


# An init file's statement: the server refuses writes from the start.
READ_ONLY_AT_START = 'SET GLOBAL read_only = ON;\n'


def set_global(variable, value):
    return f'SET GLOBAL {_word(variable, "variable")} = %s', (value,)


def set_global_default(variable):
    """Back to the server's compiled-in default."""
    return f'SET GLOBAL {_word(variable, "variable")} = DEFAULT', ()


def get_global(variable):
    return f'SELECT @@GLOBAL.{_word(variable, "variable")}', ()


def list_root_accounts():
    return "SELECT User, Host FROM mysql.user WHERE User = 'root'", ()


def reset_local_root():
    """SQL text (an init file's, run before the server takes connections)
    that makes ``root@localhost`` an administrator with an empty password,
    as in a new datadir: a restored backup's root has a password nobody
    knows. ``secure`` gives it a random one right after."""
    return ("CREATE OR REPLACE USER 'root'@'localhost' IDENTIFIED BY '';\n"
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' "
            "WITH GRANT OPTION;\n"
            "GRANT PROXY ON ''@'%' TO 'root'@'localhost' "
            "WITH GRANT OPTION;\n")


# --- Replication ----------------------------------------------------------

def create_replication_user(name, password_hash):
    """A replication account known by its password's hash only (the
    source's guest never learns the password itself)."""
    return ("CREATE OR REPLACE USER %s@'%%' IDENTIFIED BY PASSWORD %s",
            (name, password_hash))


def grant_replication(name):
    return "GRANT REPLICATION SLAVE ON *.* TO %s@'%%'", (name,)


def drop_replication_user(name):
    return "DROP USER IF EXISTS %s@'%%'", (name,)


def change_master(host, port, user, password):
    """Follow ``host``:``port`` from the GTID position in
    ``gtid_slave_pos`` (MariaDB's MASTER_USE_GTID=slave_pos)."""
    return ('CHANGE MASTER TO MASTER_HOST = %s, MASTER_PORT = %s, '
            'MASTER_USER = %s, MASTER_PASSWORD = %s, '
            'MASTER_CONNECT_RETRY = 1, MASTER_USE_GTID = slave_pos',
            (host, int(port), user, password))


def start_slave():
    return 'START SLAVE', ()


def stop_slave():
    return 'STOP SLAVE', ()


def reset_slave_all():
    """Forget the source: the server is no replica any more."""
    return 'RESET SLAVE ALL', ()


def show_slave_status():
    return 'SHOW SLAVE STATUS', ()


def master_gtid_wait(position, seconds):
    """Wait until the replica has applied ``position``: 0 done, -1 timed
    out."""
    return 'SELECT MASTER_GTID_WAIT(%s, %s)', (position, float(seconds))


def skip_binlog():
    """What this session writes stays out of the binary log (the
    replication stream)."""
    return 'SET SESSION sql_log_bin = 0', ()


def reset_master():
    """Drop this server's own binary log and GTID history: a new replica
    starts its log from its source's position."""
    return 'RESET MASTER', ()
