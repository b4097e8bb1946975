"""The guest's account and schema administration: names checked again,
hosts translated for MariaDB, Trove's paging."""

import pytest

from tests.unit.guestagent.datastore import fakes
from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.guestagent.datastore import mysql_admin
from trove_lite.guestagent.datastore import mysql_sql as sql


class FakeServer(fakes.RecordingConnection):
    """A MariaDB stand-in: records statements; answers SELECTs from
    ``rows`` (first key found in the statement wins)."""

    def __init__(self, rows=None):
        super().__init__()
        self.rows = rows or {}

    def connect(self):
        return self

    def execute(self, statement, params=()):
        super().execute(statement, params)
        self._last = statement

    def fetchall(self):
        for key, rows in self.rows.items():
            if key in self._last:
                return rows
        return []


@pytest.fixture
def server():
    return FakeServer()


@pytest.fixture
def admin(server):
    return mysql_admin.MariaDBAdmin(server.connect)


def test_cidr_user_is_created_with_a_netmask_host(admin, server):
    admin.create_users([objects.UserSpec(
        name='bob', password='pw1', host='10.0.0.0/8', databases=['app'])])
    assert [params for _statement, params in server.statements] == [
        ('bob', '10.0.0.0/255.0.0.0', 'pw1'),
        ('bob', '10.0.0.0/255.0.0.0')]


def test_nothing_to_create_opens_no_connection():
    # A prepare without databases or users goes through these too.
    def no_connection():
        raise AssertionError('connected')

    admin = mysql_admin.MariaDBAdmin(no_connection)
    admin.create_databases([])
    admin.create_users([])


@pytest.mark.parametrize('operation', [
    lambda a: a.delete_user(objects.UserSpec(name='os_admin',
                                             host='localhost')),
    lambda a: a.delete_user(objects.UserSpec(name='os_admin')),
    lambda a: a.change_passwords([objects.UserSpec(name='root',
                                                   password='x1')]),
    lambda a: a.update_attributes('bob', '%', {'name': 'os_admin'}),
    lambda a: a.grant_access('bob', '%', ['mysql']),
    lambda a: a.delete_database(objects.DatabaseSpec(name='mysql')),
    lambda a: a.create_databases([objects.DatabaseSpec(name='a`; DROP')]),
    lambda a: a.create_users([objects.UserSpec(name="x' OR '1",
                                               password='pw1')]),
    lambda a: a.enable_root("quote'd"),
])
def test_reserved_or_bad_names_never_reach_the_server(admin, server,
                                                      operation):
    with pytest.raises(exceptions.ValidationError):
        operation(admin)
    assert server.statements == []


def test_list_users_pages_and_shows_cidr_hosts(server, admin):
    server.rows = {
        'FROM mysql.user': [('amy', '%'), ('bob', '10.0.0.0/255.0.0.0'),
                            ('cat', '%')],
        'FROM mysql.db': [('app\\_db',)],
    }
    users, next_marker = admin.list_users(limit=2, marker='a@10.0.0.0/8')
    assert [(u.name, u.host, u.databases) for u in users] == [
        ('amy', '%', ['app_db']), ('bob', '10.0.0.0/8', ['app_db'])]
    assert next_marker == 'bob@10.0.0.0/8'
    # The marker is compared with MariaDB's spelling of the host.
    assert server.statements[0][1][2] == 'a@10.0.0.0/255.0.0.0'
    assert ('os_admin,root' in server.statements[0][1][0])


def test_last_page_has_no_marker(server, admin):
    server.rows = {'information_schema.schemata': [
        ('a', 'utf8mb4', 'utf8mb4_general_ci')]}
    databases, next_marker = admin.list_databases(limit=1)
    assert [d.name for d in databases] == ['a'] and next_marker is None


def test_rename_sets_password_first_then_renames(admin, server):
    admin.update_attributes('bob', '%', {'password': 'pw2', 'name': 'rob',
                                         'host': '10.0.0.0/8'})
    assert [statement.split()[0] for statement, _ in server.statements] == [
        'ALTER', 'RENAME']
    assert server.statements[1][1] == ('bob', '%', 'rob',
                                       '10.0.0.0/255.0.0.0')


def test_enable_root_generates_a_password_and_grants_the_tenant_roots(
        admin, server):
    root = admin.enable_root()
    assert root.name == 'root' and root.host == '%'
    assert len(root.password) >= 24
    assert [statement for statement, _ in server.statements[-4:]] == [
        statement for statement, _ in sql.grant_tenant_root('root', '%')]
    assert admin.enable_root('given-pw1').password == 'given-pw1'


def test_disable_root_leaves_an_unknown_password(admin, server):
    admin.disable_root()
    [(statement, params)] = server.statements
    assert statement.startswith('ALTER USER IF EXISTS')
    assert params[:2] == ('root', '%') and len(params[2]) >= 24


def test_get_user_is_none_when_absent(admin, server):
    assert admin.get_user('ghost', '%') is None
    server.rows = {'FROM mysql.user': [('bob', '%')],
                   'FROM mysql.db': [('a',), ('b',)]}
    user = admin.get_user('bob', '%')
    assert (user.name, user.host, user.databases, user.password) == (
        'bob', '%', ['a', 'b'], None)


def test_a_page_of_users_and_their_grants_takes_one_connection(server):
    connections = []

    def connect():
        connections.append(server)
        return server

    server.rows = {'FROM mysql.user': [('amy', '%'), ('bob', '%')],
                   'FROM mysql.db': [('app',)]}
    users, _next = mysql_admin.MariaDBAdmin(connect).list_users()
    assert [u.databases for u in users] == [['app'], ['app']]
    assert len(connections) == 1
    # Each user's own grants, in the page's order.
    assert [params for _statement, params in server.statements[1:]] == [
        ('amy', '%'), ('bob', '%')]
