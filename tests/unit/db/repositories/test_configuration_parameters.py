"""The parameter catalogue of datastore versions, as Parameter objects."""

import pytest

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.datastore.parameters import Parameter
from trove_lite.db.repositories import configuration_parameters as repo

MAX_CONNECTIONS = Parameter(name='max_connections', data_type='integer',
                            restart_required=False, min_size=1,
                            max_size=100)


def create(version_id, parameter):
    with db.transaction() as tx:
        repo.create(tx, version_id, parameter)


def test_parameters_are_found_and_updated_by_name_in_any_case(catalogue):
    create(catalogue.id, MAX_CONNECTIONS)
    assert db.read(repo.get, catalogue.id, 'MAX_Connections') == \
        MAX_CONNECTIONS
    wider = Parameter(name='max_connections', data_type='integer',
                      restart_required=False, min_size=1, max_size=200)
    with db.transaction() as tx:
        assert repo.update(tx, catalogue.id, 'Max_Connections', wider)
        assert not repo.update(tx, catalogue.id, 'nope', wider)
    assert db.read(repo.get, catalogue.id, 'max_connections') == wider
    assert db.read(repo.get, catalogue.id, 'nope') is None


def test_a_name_is_added_once_per_version(catalogue):
    create(catalogue.id, MAX_CONNECTIONS)
    with pytest.raises(exceptions.ConfigurationParameterAlreadyExists):
        create(catalogue.id, MAX_CONNECTIONS)
    other = catalogue_api.save_version('mariadb', '11.4', 'mariadb')
    create(other.id, MAX_CONNECTIONS)
    assert db.read(repo.list_parameters, catalogue.id) == [MAX_CONNECTIONS]


def test_string_values_and_bounds_come_back_as_they_went_in(catalogue):
    mode = Parameter(name='sql_mode', data_type='string',
                     restart_required=False,
                     allowed_values=('STRICT_ALL_TABLES', 'ANSI'),
                     multiple=True)
    long_query = Parameter(name='long_query_time', data_type='float',
                           restart_required=False, min_size=0.5,
                           max_size=10.25)
    with db.transaction() as tx:
        assert repo.load(tx, catalogue.id, [mode, long_query]) == (2, 0)
    assert db.read(repo.list_parameters, catalogue.id) == [long_query, mode]


def test_a_load_updates_what_exists_and_keeps_what_it_lacks(catalogue):
    create(catalogue.id, MAX_CONNECTIONS)
    kept = Parameter(name='wait_timeout', data_type='integer',
                     restart_required=False, min_size=1, max_size=9)
    create(catalogue.id, kept)
    static = Parameter(name='max_connections', data_type='integer',
                       restart_required=True, min_size=1, max_size=100)
    with db.transaction() as tx:
        assert repo.load(tx, catalogue.id, [static]) == (0, 1)
    assert db.read(repo.list_parameters, catalogue.id) == [static, kept]


def test_a_delete_says_whether_there_was_one(catalogue):
    create(catalogue.id, MAX_CONNECTIONS)
    with db.transaction() as tx:
        assert repo.delete(tx, catalogue.id, 'Max_Connections')
        assert not repo.delete(tx, catalogue.id, 'max_connections')
    assert db.read(repo.list_parameters, catalogue.id) == []
