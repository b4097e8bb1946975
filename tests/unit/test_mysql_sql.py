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
