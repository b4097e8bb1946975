"""Notifications of the create/delete flow, and the heartbeat-expiry rule
on a guest that stops reporting."""

import os
import signal
import time

import pytest

pytestmark = pytest.mark.functional


def events_for(stack, instance_id, priority='info'):
    return [(note['event_type'], note['publisher_id'].split('.')[0])
            for note in stack.drain_notifications(priority)
            if note['payload'].get('instance_id') == instance_id]


def test_create_and_delete_emit_trove_notifications(stack, api):
    stack.drain_notifications()
    instance = api.wait_active(api.create_instance(name='noisy')['id'])
    # .end is sent right after the task is cleared; give it a moment.
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline and \
            ('trove.instance.create.end', 'taskmanager') not in seen:
        seen += events_for(stack, instance['id'])
        time.sleep(0.1)
    assert ('trove.instance.create.start', 'api') in seen
    assert ('trove.instance.create.end', 'taskmanager') in seen

    api.delete(f'/instances/{instance["id"]}')
    api.wait_gone(instance['id'])
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline and \
            ('trove.instance.delete.end', 'taskmanager') not in seen:
        seen += events_for(stack, instance['id'])
        time.sleep(0.1)
    assert ('trove.instance.delete.start', 'api') in seen
    assert ('trove.instance.delete.end', 'taskmanager') in seen


def test_failed_build_emits_an_error_notification(stack, api):
    created = api.create_instance(name='silent-note', datastore='mysql',
                                  version='silent')
    api.wait_for(created['id'], lambda i: i['status'] == 'ERROR',
                 timeout=30)
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline and not seen:
        seen = events_for(stack, created['id'], 'error')
        time.sleep(0.1)
    assert ('trove.instance.create.error', 'taskmanager') in seen
    api.delete(f'/instances/{created["id"]}')


def test_guest_that_stops_heartbeating_shows_error_then_recovers(stack,
                                                                 api):
    instance = api.wait_active(api.create_instance(name='sleepy')['id'])
    agent_pid = next(s['pid'] for s in stack.servers()
                     if s['instance_id'] == instance['id'])
    os.kill(agent_pid, signal.SIGSTOP)  # the agent stops; its database not
    try:
        # Compress time: make the last heartbeat older than
        # agent_heartbeat_expiry (90 s) instead of waiting for it.
        stack.query('UPDATE instance_service_statuses SET updated_at = '
                    'updated_at - INTERVAL 100 SECOND WHERE instance_id = %s',
                    instance['id'])
        shown = api.instance(instance['id'])
        assert (shown['status'], shown['operating_status']) == (
            'ACTIVE', 'ERROR')
        time.sleep(3)  # > report_interval: no heartbeat arrives meanwhile
        assert api.instance(instance['id'])['operating_status'] == 'ERROR'
    finally:
        os.kill(agent_pid, signal.SIGCONT)
    api.wait_active(instance['id'], timeout=30)
    api.delete(f'/instances/{instance["id"]}')
