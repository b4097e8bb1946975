"""The backup-policy task's care of a guest's archive: the grant it keeps
its binlog archive with is sent again well before it expires."""

import pytest

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from trove_lite import db
from trove_lite.db.repositories import backup_policies as policy_rows
from trove_lite.taskmanager import backup_policies


@pytest.fixture
def policy(catalogue, monkeypatch, conf):
    conf.config(storage_grant_lifetime=400)
    FakeGuest.install(monkeypatch, backup_policies.guest_rpcapi)
    instance = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})
    # A window of one minute at midnight: no automated backup now.
    with db.transaction() as tx:
        policy_rows.put(tx, instance.id, 'p', 7, 0, 1)
    return instance


def grants_sent():
    return [arguments['settings'] for _, method, arguments in FakeGuest.sent
            if method == 'set_binlog_archive']


def test_the_archive_grant_is_sent_again_before_it_expires(policy,
                                                           monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(backup_policies.time, 'monotonic',
                        lambda: clock[0])
    task = backup_policies.PolicyTask()

    task.run(None)
    [first] = grants_sent()
    assert first['project_id'] == 'p'
    assert first['storage']['project_id'] == 'p'
    assert [scope['prefix'] for scope in first['storage']['scopes']] == [
        f'binlogs/{policy.id}/']

    clock[0] += 99  # under a quarter of the lifetime
    task.run(None)
    assert len(grants_sent()) == 1

    clock[0] += 2
    task.run(None)
    assert len(grants_sent()) == 2
    assert grants_sent()[1]['storage']['expires'] >= \
        first['storage']['expires']


def test_an_ended_policy_gets_no_grant(policy):
    with db.transaction() as tx:
        policy_rows.end(tx, policy.id)
    backup_policies.PolicyTask().run(None)
    assert grants_sent() == []
