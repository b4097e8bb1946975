"""Guests share the broker, so each instance's messages are sealed with a
key of its own: one guest can neither command another nor report for it
(encrypted_rpc_messaging, as Trove)."""

import time

import pytest

pytestmark = pytest.mark.functional


def test_guest_obeys_only_messages_sealed_with_its_key(stack, api):
    instance = api.wait_active(api.create_instance(
        name='sealed', databases=[{'name': 'shop'}])['id'])
    other = api.wait_active(api.create_instance(name='other')['id'])
    topic = f'guestagent.{instance["id"]}'

    def list_databases(**sealing):
        return stack.rpc(topic, instance['id'], 'list_databases',
                         call=True, limit=None, marker=None,
                         include_marker=False, **sealing)

    assert stack.instance_key(instance['id'])
    as_admin = api.get(f'/instances/{instance["id"]}',
                       headers={'X-Roles': 'admin'}).json()['instance']
    assert as_admin['encrypted_rpc_messaging'] is True
    assert "name='shop'" in str(list_databases(sealed_as=instance['id']))
    in_the_clear = list_databases(sealed_as=instance['id'], key='')
    under_another_key = list_databases(sealed_as=other['id'])
    for refused in (in_the_clear, under_another_key):
        assert refused['error'] == 'RemoteError'
        assert 'BrokenSeal' in refused['message']
    for victim in (instance, other):
        api.delete(f'/instances/{victim["id"]}')


def test_conductor_takes_reports_only_from_the_instances_own_guest(stack,
                                                                   api):
    victim = api.wait_active(api.create_instance(name='victim')['id'])
    attacker = api.wait_active(api.create_instance(name='attacker')['id'])
    forged = {'instance_id': victim['id'], 'sent': time.time() + 1000,
              'payload': {'service_status': 'shutdown'}}

    stack.cast_to_conductor('heartbeat', key='', **forged)
    stack.cast_to_conductor('heartbeat', sealed_as=attacker['id'], **forged)
    time.sleep(2 * float(stack.config()['DEFAULT']['report_interval']))

    assert api.instance(victim['id'])['operating_status'] == 'HEALTHY'
    dropped = f'Report for instance {victim["id"]} dropped: not sealed'
    assert stack.log('conductor').count(dropped) == 2
    for instance in (victim, attacker):
        api.delete(f'/instances/{instance["id"]}')
