"""The guest's SQL: identifiers quoted, values bound, words checked."""

import pytest

from trove_lite.guestagent.datastore import mysql_sql as sql


def test_identifier_backticks_are_doubled():
    assert sql.quote_identifier('a`b') == '`a``b`'
    assert sql.create_database('x`; DROP DATABASE y; --')[0] == (
        'CREATE DATABASE IF NOT EXISTS `x``; DROP DATABASE y; --`')


def test_nul_cannot_be_quoted():
    with pytest.raises(ValueError):
        sql.quote_identifier('a\x00b')


def test_values_are_bound_not_pasted():
    statement, params = sql.create_user("o'neil", '%', "p'w")
    assert "o'neil" not in statement and "p'w" not in statement
    assert params == ("o'neil", '%', "p'w")


def test_character_set_must_be_a_plain_word():
    assert sql.create_database('d', 'utf8mb4', 'utf8mb4_bin')[0].endswith(
        'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin')
    with pytest.raises(ValueError):
        sql.create_database('d', 'utf8; DROP')
    with pytest.raises(ValueError):
        sql.set_global('max_connections; SHUTDOWN', 1)
    with pytest.raises(ValueError):
        sql.create_database('d', 'utf8mb4\n')


def test_percent_in_an_identifier_survives_the_drivers_formatting():
    statement, params = sql.create_database('a%b')
    assert statement % params == 'CREATE DATABASE IF NOT EXISTS `a%b`'


def test_grants_match_only_the_database_named():
    statement, params = sql.grant_all_on_database('app_db', 'bob', '%')
    assert statement == ('GRANT ALL PRIVILEGES ON `app\\_db`.* '
                         'TO %s@%s')
    assert params == ('bob', '%')
    statement, params = sql.revoke_all_on_database('app_db', 'bob', '%')
    assert statement.startswith('REVOKE ALL PRIVILEGES ON `app\\_db`.* ')
    assert sql.unescape_wildcards(sql.escape_wildcards('a_b%c')) == 'a_b%c'


def test_grant_target_is_quoted_too():
    statement, _params = sql.grant_all_on_database('x`.* TO evil', 'b', '%')
    assert statement.startswith('GRANT ALL PRIVILEGES ON `x``.* TO evil`.*')


def test_account_statements_bind_every_name_host_and_password():
    for statement, params in (
            sql.rename_user('a', '%', "b'", '10.0.0.0/255.0.0.0'),
            sql.set_password("o'neil", '%', "p'w"),
            sql.create_user_if_missing('root', '%', "p'w"),
            sql.set_password_if_exists('root', '%', "p'w"),
            sql.get_user("o'neil", '%'),
            sql.list_database_grants("o'neil", '%')):
        assert "'w" not in statement and "o'neil" not in statement
        assert statement.count('%s') == len(params)


@pytest.mark.parametrize('builder, hidden', [
    (sql.list_users, ('os\\_repl\\_%',)), (sql.list_databases, ())])
def test_list_statements_are_fixed_text_with_bound_paging(builder, hidden):
    first, params = builder(['mysql', 'sys'], limit=20)
    again, marker_params = builder(['x'], limit=5, marker="a'b",
                                   include_marker=True)
    assert first == again  # nothing from the request is in the text
    assert params == ('mysql,sys', *hidden, None, None, False, None, 21)
    assert marker_params == ('x', *hidden, "a'b", "a'b", True, "a'b", 6)
    _statement, unlimited = builder([], limit=None)
    assert unlimited[-1] > 10 ** 18


def test_read_only_is_set_and_read_as_a_global():
    assert sql.set_global('read_only', 1) == (
        'SET GLOBAL read_only = %s', (1,))
    assert sql.get_global('read_only') == ('SELECT @@GLOBAL.read_only', ())



def test_tenant_root_holds_nothing_that_reaches_past_its_data():
    statements = sql.grant_tenant_root('root', '%')
    # Earlier grants (all on *.*, before this release) are taken back.
    assert statements[0][0].startswith('REVOKE ALL PRIVILEGES, GRANT OPTION')
    text = ' '.join(statement for statement, _params in statements)
    for privilege in ('FILE', 'SUPER', 'SHUTDOWN', 'PROCESS', 'RELOAD',
                      'REPLICATION', 'CREATE USER', 'ALL PRIVILEGES ON',
                      'BINLOG', 'CONNECTION ADMIN', 'SET USER'):
        assert privilege not in text.replace('REVOKE ALL PRIVILEGES', '')
    granted_on = [statement.split(' ON ')[1].split(' TO ')[0]
                  for statement, _params in statements[1:]]
    assert granted_on == ['*.*', '`%%`.*', '`mysql`.*']
    assert statements[1][0].startswith('GRANT SHOW DATABASES ON *.*')
    assert statements[3][0].startswith('GRANT SHOW VIEW ON `mysql`')
    assert all(params == ('root', '%') for _statement, params in statements)
