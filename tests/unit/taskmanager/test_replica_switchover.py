"""Promote and eject that stop part-way end in a defined state: before
the new source accepts writes a promote is undone (the old source
writable again, the replica following it again), an eject leaves the
set as it was; the tasks end and a fault says why. Past that point they
go forward, a member that cannot follow showing a fault."""

import pytest
import sqlalchemy as sa

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from trove_lite import db
from trove_lite.db import models
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.taskmanager import replicas


@pytest.fixture
def replica_set(catalogue, monkeypatch):
    """A source ``old`` with the replicas ``new`` and ``other``, every
    member in ``task`` (the source idle for an eject, as the API leaves
    it); their ids by name, and their guests (``new`` applied most)."""
    guest = FakeGuest.install(monkeypatch, replicas.guest_rpcapi)

    def make(task):
        ids = {}
        for name, address in (('old', '127.0.0.2'), ('new', '127.0.0.3'),
                              ('other', '127.0.0.4')):
            row = db_fixtures.create_instance({
                'name': name, 'tenant_id': 'p', 'flavor_id': '1',
                'datastore_version_id': catalogue.id, 'volume_size': 1,
                'slave_of_id': ids.get('old')})
            db_fixtures.update_instance(
                row.id, server_status='ACTIVE',
                addresses=[{'address': address}],
                task=Tasks.NONE if name == 'old' and
                task == Tasks.EJECTING else task)
            ids[name] = row.id
        guest.positions = {ids['old']: '0-1-30', ids['new']: '0-1-30',
                           ids['other']: '0-1-20'}
        return ids
    return make, guest


def calls(guest, ids):
    """The calls the guests got: (member name, method, arguments)."""
    names = {instance_id: name for name, instance_id in ids.items()}
    return [(names[instance_id], method, arguments)
            for instance_id, method, arguments in guest.sent]


def faults(instance_id):
    table = models.InstanceFault.__table__
    return db.read(lambda conn: list(conn.execute(
        sa.select(table.c.message).where(
            table.c.instance_id == instance_id)).scalars()))


def source_of(instance_id):
    return db_fixtures.get_instance(instance_id).slave_of_id


def tasks(ids):
    return {db_fixtures.get_instance(i).task for i in ids.values()}


def test_a_promote_failing_after_the_replica_stopped_is_undone(
        replica_set):
    make, guest = replica_set
    ids = make(Tasks.PROMOTING)
    guest.fails_on(ids['new'], 'enable_as_master')

    replicas.promote(None, ids['new'])

    # The old source refused writes, the replica stopped and failed to
    # become the source; then the old source took the replica back
    # (which makes it writable) and the replica follows it again.
    sent = calls(guest, ids)
    assert sent[0] == ('old', 'make_read_only', {'read_only': True})
    steps = [(name, method) for name, method, _arguments in sent]
    failed = steps.index(('new', 'enable_as_master'))
    assert steps[failed - 1] == ('new', 'detach_replica')
    assert steps[failed + 1:] == [('old', 'enable_as_master'),
                                  ('new', 'attach_replica')]
    assert sent[-1][2]['replica_info']['master']['host'] == '127.0.0.2'
    assert source_of(ids['new']) == ids['old']
    assert source_of(ids['other']) == ids['old']
    assert source_of(ids['old']) is None
    assert tasks(ids) == {Tasks.NONE}
    [fault] = faults(ids['new'])
    assert fault.startswith('Promote failed: ')
    assert 'enable_as_master broke' in fault
    assert fault.endswith(f'{ids["old"]} is the source still')


def test_a_promote_failing_before_the_replica_stopped_frees_the_source(
        replica_set):
    make, guest = replica_set
    ids = make(Tasks.PROMOTING)
    guest.fails_on(ids['other'], 'wait_for_txn')

    replicas.promote(None, ids['new'])

    sent = calls(guest, ids)
    assert 'detach_replica' not in [method for _n, method, _a in sent]
    assert sent[-1] == ('old', 'make_read_only', {'read_only': False})
    assert source_of(ids['new']) == ids['old']
    assert tasks(ids) == {Tasks.NONE}
    assert 'wait_for_txn broke' in faults(ids['new'])[0]


def test_a_promote_that_cannot_be_undone_says_so(replica_set):
    make, guest = replica_set
    ids = make(Tasks.PROMOTING)
    guest.fails_on(ids['new'], 'detach_replica')
    guest.fails_on(ids['old'], 'enable_as_master')

    replicas.promote(None, ids['new'])

    assert tasks(ids) == {Tasks.NONE}
    [fault] = faults(ids['new'])
    assert 'undoing it failed too: ' in fault
    assert fault.count('broke') == 2


def test_a_member_that_cannot_follow_the_new_source_shows_a_fault(
        replica_set):
    make, guest = replica_set
    ids = make(Tasks.PROMOTING)
    guest.fails_on(ids['old'], 'attach_replica')

    replicas.promote(None, ids['new'])

    # The switch went through; the old source is a member that does not
    # replicate (it refuses writes since the promote began).
    assert source_of(ids['new']) is None
    assert source_of(ids['other']) == ids['new']
    assert source_of(ids['old']) == ids['new']
    assert tasks(ids) == {Tasks.NONE}
    assert faults(ids['new']) == []
    [fault] = faults(ids['old'])
    assert fault.startswith(
        f'It does not replicate from its new source {ids["new"]}')


def test_an_eject_failing_before_the_new_source_leaves_the_set_unchanged(
        replica_set):
    make, guest = replica_set
    ids = make(Tasks.EJECTING)
    guest.fails_on(ids['new'], 'enable_as_master')

    replicas.eject(None, ids['other'])

    # "new" applied most, stopped, did not become the source: nobody is
    # re-pointed, the dead source is not fenced.
    steps = [(name, method) for name, method, _arguments
             in calls(guest, ids)]
    assert steps[-2:] == [('new', 'detach_replica'),
                          ('new', 'enable_as_master')]
    assert source_of(ids['new']) == ids['old']
    assert source_of(ids['other']) == ids['old']
    assert tasks(ids) == {Tasks.NONE}
    [fault] = faults(ids['other'])
    assert fault.startswith('Eject failed: ')
    assert fault.endswith('the set is unchanged, ask again')


def test_an_eject_with_no_replica_answering_changes_nothing(replica_set):
    make, guest = replica_set
    ids = make(Tasks.EJECTING)
    guest.fails('get_latest_txn_id')

    replicas.eject(None, ids['new'])

    assert guest.methods() == ['get_latest_txn_id'] * 2
    assert tasks(ids) == {Tasks.NONE}
    assert 'no replica answers' in faults(ids['new'])[0]


def test_an_eject_fences_the_dead_source_once_the_set_switched(
        replica_set):
    make, guest = replica_set
    ids = make(Tasks.EJECTING)

    replicas.eject(None, ids['other'])

    assert calls(guest, ids)[-1] == ('old', 'make_read_only',
                                     {'read_only': True, 'wait': False})
    assert source_of(ids['new']) is None
    assert source_of(ids['other']) == ids['new']
    assert source_of(ids['old']) is None
    assert tasks(ids) == {Tasks.NONE}
    assert faults(ids['other']) == []
