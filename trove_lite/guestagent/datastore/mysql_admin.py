"""Databases, users, grants and root of a guest's MariaDB/MySQL server.

Runs as the agent's ``os_admin`` account. Every name is checked again
here with the API's rules, so a message that never went through the API
can neither touch a reserved account or database nor smuggle SQL (which
``mysql_sql`` would quote anyway).

Hosts travel in the API's spelling and are stored in MariaDB's: an IPv4
CIDR is written as ``address/netmask`` (see ``mysql_rules``).
"""

import secrets

from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.datastore import mysql_rules
from trove_lite.guestagent.datastore import mysql_sql as sql

ROOT_USER = 'root'


def generate_password():
    return secrets.token_urlsafe(24)


def _check(problem):
    # One of our exceptions, not a builtin: oslo.messaging re-raises
    # builtins in the caller with the guest's traceback in the message.
    if problem:
        raise exceptions.ValidationError(detail=problem)


def _check_user(name, host):
    _check(mysql_rules.check_user_name(name))
    _check(mysql_rules.check_host(host))


def _check_database(name):
    _check(mysql_rules.check_database_name(name))


def _marker_to_server(marker):
    """A ``user@host`` marker with its host in MariaDB's spelling."""
    if marker is None:
        return None
    name, _separator, host = marker.rpartition('@')
    return f'{name}@{mysql_rules.to_server_host(host)}'


class MariaDBAdmin:
    """Account and schema administration through ``connect()``, a
    callable returning a new admin connection."""

    def __init__(self, connect):
        self._connect = connect

    def _execute(self, *statements):
        """Run statements in order on one connection; the rows of the
        last one (none without statements)."""
        if not statements:
            return []
        with self._connect() as connection:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(*statement)
            return cursor.fetchall()

    # --- databases ------------------------------------------------------

    def create_databases(self, databases):
        for database in databases:
            _check_database(database.name)
            _check(mysql_rules.check_character_set(database.character_set,
                                                   database.collate))
        self._execute(*[sql.create_database(d.name, d.character_set,
                                            d.collate) for d in databases])

    def delete_database(self, database):
        _check_database(database.name)
        self._execute(sql.drop_database(database.name))

    def list_databases(self, limit=None, marker=None, include_marker=False):
        """``([DatabaseSpec], next_marker)``, reserved databases left out."""
        rows = self._execute(sql.list_databases(
            sorted(mysql_rules.reserved_databases()), limit, marker,
            include_marker))
        page, next_marker = _split_page(rows, limit, lambda row: row[0])
        return [objects.DatabaseSpec(name=name, character_set=charset,
                                     collate=collation)
                for name, charset, collation in page], next_marker

    # --- users ----------------------------------------------------------

    def create_users(self, users):
        statements = []
        for user in users:
            _check_user(user.name, user.host)
            _check(mysql_rules.check_password(user.password))
            host = mysql_rules.to_server_host(user.host)
            statements.append(sql.create_user(user.name, host,
                                              user.password))
            for database in user.databases:
                _check_database(database)
                statements.append(sql.grant_all_on_database(
                    database, user.name, host))
        self._execute(*statements)

    def delete_user(self, user):
        _check_user(user.name, user.host)
        self._execute(sql.drop_user(user.name,
                                    mysql_rules.to_server_host(user.host)))

    def get_user(self, name, host):
        """The UserSpec with its databases, or None."""
        _check_user(name, host)
        server_host = mysql_rules.to_server_host(host)
        with self._connect() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.get_user(name, server_host))
            if not cursor.fetchall():
                return None
            return objects.UserSpec(
                name=name, host=host,
                databases=_granted(cursor, name, server_host))

    def list_users(self, limit=None, marker=None, include_marker=False):
        """``([UserSpec], next_marker)`` ordered by ``user@host``;
        reserved users left out."""
        # One connection for the page and its users' grants, not one
        # per user.
        with self._connect() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.list_users(
                sorted(mysql_rules.reserved_users()), limit,
                _marker_to_server(marker), include_marker))
            page, next_marker = _split_page(
                cursor.fetchall(), limit, lambda row: (
                    f'{row[0]}@{mysql_rules.from_server_host(row[1])}'))
            return [objects.UserSpec(
                name=name, host=mysql_rules.from_server_host(host),
                databases=_granted(cursor, name, host))
                for name, host in page], next_marker

    def list_access(self, name, host):
        """DatabaseSpecs of the databases the user holds privileges on."""
        _check_user(name, host)
        with self._connect() as connection:
            return [objects.DatabaseSpec(name=database) for database in
                    _granted(connection.cursor(), name,
                             mysql_rules.to_server_host(host))]

    def grant_access(self, name, host, databases):
        _check_user(name, host)
        for database in databases:
            _check_database(database)
        server_host = mysql_rules.to_server_host(host)
        self._execute(*[sql.grant_all_on_database(d, name, server_host)
                        for d in databases])

    def revoke_access(self, name, host, database):
        _check_user(name, host)
        _check_database(database)
        self._execute(sql.revoke_all_on_database(
            database, name, mysql_rules.to_server_host(host)))

    def change_passwords(self, users):
        statements = []
        for user in users:
            _check_user(user.name, user.host)
            _check(mysql_rules.check_password(user.password))
            statements.append(sql.set_password(
                user.name, mysql_rules.to_server_host(user.host),
                user.password))
        self._execute(*statements)

    def update_attributes(self, name, host, attributes):
        """Set the password, then rename (Trove's order), in one go."""
        _check_user(name, host)
        server_host = mysql_rules.to_server_host(host)
        statements = []
        if attributes.get('password') is not None:
            _check(mysql_rules.check_password(attributes['password']))
            statements.append(sql.set_password(name, server_host,
                                               attributes['password']))
        new_name = attributes.get('name') or name
        new_host = attributes.get('host') or host
        if (new_name, new_host) != (name, host):
            _check_user(new_name, new_host)
            statements.append(sql.rename_user(
                name, server_host, new_name,
                mysql_rules.to_server_host(new_host)))
        self._execute(*statements)

    # --- root -------------------------------------------------------------

    def enable_root(self, password=None):
        """Let root log in from anywhere with ``password`` (a new one when
        None); returns its UserSpec, the only place the password is
        ever returned."""
        if password is None:
            password = generate_password()
        _check(mysql_rules.check_password(password))
        self._execute(sql.create_user_if_missing(ROOT_USER, '%', password),
                      sql.set_password(ROOT_USER, '%', password),
                      *sql.grant_tenant_root(ROOT_USER, '%'))
        return objects.UserSpec(name=ROOT_USER, host='%', password=password)

    def disable_root(self):
        """Give remote root a password nobody knows (Trove's way: the
        account and what it owns stay)."""
        self._execute(sql.set_password_if_exists(ROOT_USER, '%',
                                                 generate_password()))

    def is_root_enabled(self):
        return self._execute(sql.count_remote_root())[0][0] > 0


def _granted(cursor, name, server_host):
    """The databases an account holds privileges on."""
    cursor.execute(*sql.list_database_grants(name, server_host))
    return [sql.unescape_wildcards(row[0]) for row in cursor.fetchall()]


def _split_page(rows, limit, marker_of):
    """Trove's paging: rows come one past ``limit``; that extra row means
    a next page, whose marker is the last row shown."""
    rows = list(rows)
    if limit is None or len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, marker_of(page[-1])
