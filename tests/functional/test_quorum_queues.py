"""``[oslo_messaging_rabbit] rabbit_quorum_queue = true`` end to end on the
local broker (in the stack's own vhost, so its queue types clash with
nobody's): the services' and the guest's queues are quorum queues, and an
instance is created, becomes ACTIVE and is deleted."""

import subprocess

import pytest

from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional


@pytest.fixture(scope='module')
def quorum(tmp_path_factory):
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('quorum')),
        overrides={'oslo_messaging_rabbit': {'rabbit_quorum_queue': 'true'}})
    with deployment:
        yield deployment


def queue_types(deployment):
    out = subprocess.run(['rabbitmqctl', '-q', 'list_queues', '-p',
                          deployment.vhost, 'name', 'type'],
                         capture_output=True, text=True, check=True,
                         timeout=60).stdout
    rows = [line.split('\t') for line in out.splitlines()[1:]
            if line.strip()]
    return {name: kind for name, kind in rows}


def test_create_active_delete_on_quorum_queues(quorum):
    api = quorum.api('quorum')
    instance = api.create_instance(name='quorum')
    api.wait_active(instance['id'], timeout=300)
    kinds = queue_types(quorum)
    for name in ('taskmanager', stack_module.CONDUCTOR_TOPIC,
                 f'guestagent.{instance["id"]}'):
        assert kinds.get(name) == 'quorum', (name, kinds)
    # The guest answers calls through it (a user list is a call).
    assert api.get(f'/instances/{instance["id"]}/users').status_code == 200
    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    api.wait_gone(instance['id'], timeout=120)
    assert f'guestagent.{instance["id"]}' not in queue_types(quorum)
