"""Status derivation follows Trove's rules (reference §3)."""

import datetime

import pytest

from trove_lite.records import status
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.records.status import ServiceStatuses as Services

NOW = datetime.datetime(2026, 1, 1, 12, 0, 0)


@pytest.mark.parametrize('task, server, expected', [
    (Tasks.BUILDING, 'BUILD', 'BUILD'),
    (Tasks.BUILDING, 'ACTIVE', 'BUILD'),
    (Tasks.BUILDING, 'ERROR', 'ERROR'),
    (Tasks.BUILDING_ERROR_TIMEOUT_GA, 'ACTIVE', 'ERROR'),
    (Tasks.BUILDING_ERROR_SERVER, 'ERROR', 'ERROR'),
    (Tasks.REBOOTING, 'ACTIVE', 'REBOOT'),
    (Tasks.RESIZING, 'ACTIVE', 'RESIZE'),
    (Tasks.RESTART_REQUIRED, 'ACTIVE', 'RESTART_REQUIRED'),
    (Tasks.DELETING, 'ACTIVE', 'SHUTDOWN'),
    (Tasks.DELETING, 'SHUTDOWN', 'SHUTDOWN'),
    (Tasks.DELETING, 'ERROR', 'ERROR'),
    (Tasks.NONE, 'ACTIVE', 'ACTIVE'),
    (Tasks.NONE, 'SHUTDOWN', 'SHUTDOWN'),
    (Tasks.NONE, 'VERIFY_RESIZE', 'RESIZE'),
    (Tasks.NONE, 'PAUSED', 'UNKNOWN'),
    (Tasks.UPDATING, 'ACTIVE', 'ACTIVE'),
])
def test_api_status_follows_trove_rules(task, server, expected):
    assert status.api_status(task, server) == expected


def test_running_backup_shows_backup_status():
    assert status.api_status(Tasks.NONE, 'ACTIVE',
                             has_running_backup=True) == 'BACKUP'


@pytest.mark.parametrize('task, server', [
    (Tasks.BUILDING, 'ACTIVE'), (Tasks.REBOOTING, 'ACTIVE'),
    (Tasks.NONE, 'SHUTDOWN'), (Tasks.NONE, 'BUILD')])
def test_operating_status_is_empty_while_busy_or_not_active(task, server):
    assert status.operating_status(task, server, Services.HEALTHY) == ''


def test_operating_status_is_the_service_status_when_idle():
    assert status.operating_status(Tasks.NONE, 'ACTIVE',
                                   Services.HEALTHY) == 'HEALTHY'
    assert status.operating_status(Tasks.NONE, 'ACTIVE',
                                   Services.RUNNING) == 'ACTIVE'
    assert status.operating_status(Tasks.NONE, 'ACTIVE',
                                   Services.SHUTDOWN) == 'SHUTDOWN'


def test_old_heartbeat_of_idle_instance_shows_guest_failed():
    last = NOW - datetime.timedelta(seconds=90)
    shown = status.effective_service_status(Tasks.NONE, Services.HEALTHY,
                                            last, NOW, 90)
    assert shown == Services.FAILED_TIMEOUT_GUESTAGENT
    assert status.operating_status(Tasks.NONE, 'ACTIVE', shown) == 'ERROR'


def test_fresh_heartbeat_is_kept():
    last = NOW - datetime.timedelta(seconds=89)
    assert status.effective_service_status(
        Tasks.NONE, Services.HEALTHY, last, NOW, 90) == Services.HEALTHY


def test_expiry_does_not_apply_while_a_task_runs_or_restart_required():
    last = NOW - datetime.timedelta(days=1)
    assert status.effective_service_status(
        Tasks.BUILDING, Services.NEW, last, NOW, 90) == Services.NEW
    assert status.effective_service_status(
        Tasks.NONE, Services.RESTART_REQUIRED, last, NOW,
        90) == Services.RESTART_REQUIRED


def test_service_status_lookup_by_description_is_exact():
    assert Services.from_description('healthy') == Services.HEALTHY
    assert Services.from_description('failed to spawn') == Services.FAILED
    with pytest.raises(ValueError):
        Services.from_description('Healthy')


def test_codes_are_unique():
    task_codes = [t.code for t in Tasks.all()]
    service_codes = [s.code for s in Services.all()]
    assert len(task_codes) == len(set(task_codes))
    assert len(service_codes) == len(set(service_codes))
    assert Tasks.from_code(0x5b) == Tasks.BUILDING_ERROR_TIMEOUT_GA


@pytest.mark.parametrize('task, server, service, refusal', [
    (Tasks.NONE, 'ACTIVE', Services.HEALTHY, None),
    (Tasks.NONE, 'ACTIVE', Services.RUNNING, None),
    (Tasks.NONE, 'ACTIVE', Services.SHUTDOWN, None),
    (Tasks.NONE, 'ACTIVE', Services.BLOCKED, None),
    (Tasks.RESTART_REQUIRED, 'ACTIVE', Services.RESTART_REQUIRED, None),
    (Tasks.BUILDING, 'BUILD', Services.NEW, ('instance', 'BUILD')),
    (Tasks.NONE, 'SHUTDOWN', Services.SHUTDOWN, ('instance', 'SHUTDOWN')),
    (Tasks.REBOOTING, 'ACTIVE', Services.RESTARTING, ('task', 'REBOOTING')),
    (Tasks.RESIZING, 'ACTIVE', Services.HEALTHY, ('task', 'RESIZING')),
    (Tasks.DELETING, 'ACTIVE', Services.HEALTHY, ('task', 'DELETING')),
    (Tasks.NONE, 'ACTIVE', Services.FAILED_TIMEOUT_GUESTAGENT,
     ('instance', 'ACTIVE')),
    (Tasks.NONE, 'ACTIVE', Services.UNKNOWN, ('instance', 'ACTIVE')),
])
def test_action_gate_follows_trove(task, server, service, refusal):
    assert status.action_refusal(task, server, service) == refusal


def test_restart_is_allowed_for_a_guest_that_stopped_answering():
    expired = Services.FAILED_TIMEOUT_GUESTAGENT
    assert status.action_refusal(Tasks.NONE, 'ACTIVE', expired) == (
        'instance', 'ACTIVE')
    assert status.action_refusal(Tasks.NONE, 'ACTIVE', expired,
                                 status.RESTART_ALLOWED_SERVICE) is None
    assert status.action_refusal(Tasks.REBOOTING, 'ACTIVE', expired,
                                 status.RESTART_ALLOWED_SERVICE) == (
        'task', 'REBOOTING')
