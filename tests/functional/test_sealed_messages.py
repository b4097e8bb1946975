"""Guests share the broker, so each instance's messages are sealed with a
key of its own: one guest can neither command another nor report for it
(encrypted_rpc_messaging, as Trove)."""

import os
import signal
import time
import uuid

import pytest
import requests

from tests.functional.stack import wait_until
from trove_lite.common.objects import DatabaseSpec

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

    key = stack.instance_key(instance['id'])
    assert key == stack.guest_config(instance['id'])['instance_rpc_encr_key']
    # Stored encrypted with inst_rpc_key_encr_key.
    assert key not in stack.stored_instance_key(instance['id'])
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
    log = stack.log('conductor')
    # In the clear: it does not open with the victim's key.
    assert log.count(f'Message claiming to come from instance '
                     f'{victim["id"]} refused') == 1
    # Sealed by the attacker's guest, but about the victim.
    assert log.count(f'Report for instance {victim["id"]} dropped: not '
                     f'sealed') == 1
    for instance in (victim, attacker):
        api.delete(f'/instances/{instance["id"]}')


def test_captured_message_is_not_obeyed_again_nor_under_another_method(
        stack, api):
    instance = api.wait_active(api.create_instance(
        name='replayed', databases=[{'name': 'keep'}, {'name': 'drop'}])[
            'id'])
    topic = f'guestagent.{instance["id"]}'

    def databases():
        answer = stack.rpc(topic, instance['id'], 'list_databases',
                           sealed_as=instance['id'], call=True, limit=None,
                           marker=None, include_marker=False)
        return sorted(name for name in ('keep', 'drop', 'again')
                      if f"name='{name}'" in str(answer))

    # A routine call, re-targeted to delete_database and disable_root.
    for method in ('delete_database', 'disable_root'):
        retargeted = stack.rpc(topic, instance['id'], 'get_filesystem_stats',
                               sealed_as=instance['id'], call=True,
                               send_as=method, fs_path=None)
        assert retargeted['error'] == 'RemoteError'
        assert 'BrokenSeal' in retargeted['message']
    # One delete_database sent twice: the second is a replay.
    first, replayed = stack.rpc(topic, instance['id'], 'delete_database',
                                sealed_as=instance['id'], call=True,
                                times=2,
                                database=DatabaseSpec('drop').to_primitive())
    assert 'error' not in str(first)
    assert replayed['error'] == 'RemoteError'
    assert 'BrokenSeal' in replayed['message']
    assert databases() == ['keep']
    with open(os.path.join(stack.server_dir(instance['id']), 'guest.log'),
              errors='replace') as guest_log:
        log = guest_log.read()
    assert log.count('sealed for get_filesystem_stats, dispatched to') == 2
    assert 'refused: replayed' in log
    api.delete(f'/instances/{instance["id"]}')


def conductor_consumers(stack):
    answer = requests.get(f'http://127.0.0.1:15672/api/queues/{stack.vhost}'
                          f'/trove-conductor', auth=('guest', 'guest'),
                          timeout=10)
    return answer.json().get('consumers', 0) if answer.ok else 0


def test_captured_report_is_not_obeyed_again_after_the_conductor_restarts(
        stack, api):
    instance = api.wait_active(api.create_instance(name='restarted')['id'])
    marker = uuid.uuid4().hex
    # A report whose every delivery has an effect: a notification.
    captured = stack.capture('notify_end', sealed_as=instance['id'],
                             instance_id=instance['id'],
                             action='replay_probe',
                             payload={'marker': marker})

    def probes():
        return [note for note in stack.drain_notifications()
                if note['payload'].get('marker') == marker]

    stack.drain_notifications()
    stack.cast_to_conductor('notify_end', sealed_as=instance['id'],
                            captured=captured)
    assert wait_until(lambda: probes(), timeout=30)
    stack.stop_service('conductor')
    stack.start_service('conductor')
    assert wait_until(lambda: conductor_consumers(stack) > 0, timeout=60)
    stack.cast_to_conductor('notify_end', sealed_as=instance['id'],
                            captured=captured)
    # Refused by the restarted conductor (it reads the ids the one before
    # it kept in the database), so it emits nothing.
    assert wait_until(lambda: 'refused: replayed' in stack.log('conductor'),
                      timeout=30)
    time.sleep(2)
    assert probes() == []

    # The restarted conductor still takes fresh reports.
    stack.cast_to_conductor('notify_end', instance_id=instance['id'],
                            action='replay_probe',
                            payload={'marker': marker})
    assert wait_until(lambda: probes(), timeout=30)
    api.delete(f'/instances/{instance["id"]}')


def test_captured_order_is_not_obeyed_again_after_the_guest_restarts(
        stack, api):
    instance = api.wait_active(api.create_instance(
        name='guest-restarted',
        databases=[{'name': 'keep'}, {'name': 'drop'}])['id'])
    topic = f'guestagent.{instance["id"]}'

    def databases():
        answer = api.get(f'/instances/{instance["id"]}/databases')
        return sorted(item['name'] for item in answer.json()['databases']) \
            if answer.status_code == 200 else None

    order = stack.capture('delete_database', sealed_as=instance['id'],
                          database=DatabaseSpec('drop').to_primitive())
    stack.rpc(topic, instance['id'], 'delete_database',
              sealed_as=instance['id'], captured=order)
    wait_until(lambda: databases() == ['keep'])
    assert api.post(f'/instances/{instance["id"]}/databases', {
        'databases': [{'name': 'drop'}]}).status_code == 202
    wait_until(lambda: databases() == ['drop', 'keep'])

    # The guest agent dies; a restart finds it silent and reboots the
    # server, so a new agent process serves the instance.
    agent = stack.server_of(instance['id'])['pid']
    os.kill(agent, signal.SIGKILL)
    assert api.post(f'/instances/{instance["id"]}/action',
                    {'restart': {}}).status_code == 202
    wait_until(lambda: stack.server_of(instance['id'])['pid'] != agent,
               timeout=90)
    wait_until(lambda: api.instance(instance['id'])['status'] == 'ACTIVE'
               and databases() == ['drop', 'keep'], timeout=90)

    # The same order again: the new agent read the ids the old one kept
    # in its sandbox.
    stack.rpc(topic, instance['id'], 'delete_database',
              sealed_as=instance['id'], captured=order)
    guest_log = os.path.join(stack.server_dir(instance['id']), 'guest.log')
    wait_until(lambda: 'refused: replayed' in open(
        guest_log, errors='replace').read(), timeout=30)
    time.sleep(2)
    assert databases() == ['drop', 'keep']
    api.delete(f'/instances/{instance["id"]}')


def test_a_replayed_heartbeat_is_dropped_by_its_own_stamp(stack, api):
    """A heartbeat's id is not kept (the conductor's lastseen guard
    orders reports by their sealed ``sent``): a captured one replayed
    after a newer report changes nothing, and heartbeats add no ids."""
    instance = api.wait_active(api.create_instance(name='stamped')['id'])
    instance_id = instance['id']

    def status():
        return stack.query('SELECT status_description FROM '
                           'instance_service_statuses WHERE instance_id = '
                           '%s', instance_id)[0][0]

    def stale_drops():
        return stack.log('conductor').count(
            f'Heartbeat from {instance_id} dropped: stale')

    def kept_ids():
        return stack.query('SELECT COUNT(*) FROM sealed_message_ids WHERE '
                           'instance_id = %s', instance_id)[0][0]

    ids = kept_ids()
    # Stamped a little ahead, so it is newer than the guest's own reports
    # for a few seconds whenever it arrives.
    captured = stack.capture('heartbeat', sealed_as=instance_id,
                             instance_id=instance_id, sent=time.time() + 5,
                             payload={'service_status': 'shutdown'})
    stack.cast_to_conductor('heartbeat', sealed_as=instance_id,
                            captured=captured)
    assert wait_until(lambda: status() == 'shutdown', timeout=30)
    # The guest's own reports take over once newer.
    assert wait_until(lambda: status() == 'healthy', timeout=30)
    drops = stale_drops()
    stack.cast_to_conductor('heartbeat', sealed_as=instance_id,
                            captured=captured)
    assert wait_until(lambda: stale_drops() > drops, timeout=30)
    assert status() == 'healthy'
    assert api.instance(instance_id)['operating_status'] == 'HEALTHY'
    assert kept_ids() == ids
    api.delete(f'/instances/{instance_id}')
