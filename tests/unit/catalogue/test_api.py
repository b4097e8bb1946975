"""How a request's datastore reference resolves (Trove's defaults and
errors)."""

import pytest

from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions


def test_an_empty_reference_takes_the_default_datastore_and_version(
        catalogue, conf):
    conf.config(default_datastore='mariadb')
    datastore, version = catalogue_api.resolve_datastore_version({})
    assert (datastore.name, version) == ('mariadb', catalogue)


def test_without_a_default_datastore_the_type_is_needed(catalogue, conf):
    conf.config(default_datastore=None)
    with pytest.raises(exceptions.DatastoreDefaultDatastoreNotFound):
        catalogue_api.resolve_datastore_version({})


def test_a_datastore_without_a_default_version_needs_one_named(database):
    catalogue_api.save_datastore('mysql')
    version = catalogue_api.save_version('mysql', '8.0', 'mysql')
    with pytest.raises(exceptions.DatastoreDefaultVersionNotFound):
        catalogue_api.resolve_datastore_version({'type': 'mysql'})
    assert catalogue_api.resolve_datastore_version(
        {'type': 'mysql', 'version': '8.0'})[1] == version


def test_an_inactive_version_is_refused_unless_allowed(catalogue):
    inactive = catalogue_api.save_version('mariadb', '10.6', 'mariadb',
                                          active=False)
    reference = {'type': 'mariadb', 'version': '10.6'}
    with pytest.raises(exceptions.DatastoreVersionInactive):
        catalogue_api.resolve_datastore_version(reference)
    assert catalogue_api.resolve_datastore_version(
        reference, allow_inactive=True)[1] == inactive


def test_a_version_number_picks_among_versions_of_one_name(catalogue):
    newer = catalogue_api.save_version('mariadb', '10.11', 'mariadb',
                                       version='10.11.20')
    assert catalogue_api.resolve_datastore_version(
        {'type': 'mariadb', 'version': '10.11',
         'version_number': '10.11.20'})[1] == newer
    with pytest.raises(exceptions.DatastoreVersionNotFound):
        catalogue_api.resolve_datastore_version(
            {'type': 'mariadb', 'version': '10.11'})
