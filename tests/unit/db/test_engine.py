"""The service layer's transaction and reads."""

import pytest

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.db.repositories import instances
from trove_lite.records.status import InstanceTasks as Tasks


def make_instance(catalogue):
    return db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id})


def test_what_a_transaction_wrote_is_undone_when_it_raises(catalogue):
    instance = make_instance(catalogue)
    with pytest.raises(RuntimeError), db.transaction() as tx:
        instances.update(tx, instance.id, name='renamed')
        instances.set_task_if(tx, instance.id, [Tasks.BUILDING],
                              Tasks.NONE)
        raise RuntimeError('a later step failed')
    record = db_fixtures.get_instance(instance.id)
    assert (record.name, record.task) == ('i', Tasks.BUILDING)


def test_a_transaction_commits_when_its_block_ends(catalogue):
    instance = make_instance(catalogue)
    with db.transaction() as tx:
        instances.update(tx, instance.id, name='renamed')
    assert db_fixtures.get_instance(instance.id).name == 'renamed'


def test_a_read_hands_its_arguments_on(catalogue):
    instance = make_instance(catalogue)
    assert db.read(instances.find, instance.id, project='p') == instance
