"""SQL the guest runs on its MariaDB/MySQL server.

Every statement is built here: identifiers are quoted with backticks (a
backtick inside is doubled), values are bound parameters, and character
sets and collations must be plain words. Nothing from a request is ever
pasted into SQL unquoted.
"""

import re

_WORD = re.compile(r'^[A-Za-z0-9_]+$')


def quote_identifier(name):
    """A backtick-quoted identifier; NUL cannot be represented."""
    if not name or '\x00' in name:
        raise ValueError('invalid identifier')
    return '`' + name.replace('`', '``') + '`'


def _word(value, what):
    if not _WORD.match(value or ''):
        raise ValueError(f'invalid {what}: {value!r}')
    return value


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


def grant_all_on_database(database, name, host):
    return (f'GRANT ALL PRIVILEGES ON {quote_identifier(database)}.* '
            'TO %s@%s', (name, host))


def grant_admin(name, host):
    return ('GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION',
            (name, host))


def set_global(variable, value):
    return f'SET GLOBAL {_word(variable, "variable")} = %s', (value,)


def list_root_accounts():
    return "SELECT User, Host FROM mysql.user WHERE User = 'root'", ()
