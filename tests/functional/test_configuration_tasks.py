"""A change of a configuration group reaches its instances as taskmanager
tasks (Trove's update_overrides), not inside the API request: a silent
guest among them (its agent stopped, as a hostile tenant's VM would be)
holds up neither the request nor the other instances."""

import os
import signal
import time

import pytest

from tests.functional import stack as stack_module
from tests.functional.test_configurations import attach
from tests.functional.test_configurations import create_group
from tests.functional.test_configurations import global_variables
from tests.functional.test_configurations import new_instance

pytestmark = pytest.mark.functional

# api_guest_call_timeout is 8 s: a request that waited on the stopped
# guest would take at least that.
PROMPT = 5


def test_a_silent_guest_holds_up_neither_the_request_nor_the_others(stack):
    api = stack.api('cfg-tasks')
    group = create_group(api, 'shared', {'max_connections': 60})
    silent = new_instance(api, 'silent', configuration=group['id'])
    healthy = new_instance(api, 'healthy')
    assert attach(api, healthy['id'], group['id']).status_code == 202
    stack_module.wait_until(lambda: global_variables(
        healthy['ip'][0], ['max_connections']) == {'max_connections': '60'})
    agent = stack.server_of(silent['id'])['pid']

    os.kill(agent, signal.SIGSTOP)
    try:
        started = time.monotonic()
        for number, method in enumerate(('PATCH', 'PUT', 'PATCH')):
            response = api.request(
                method, f'/configurations/{group["id"]}',
                json={'configuration': {'values': {
                    'max_connections': 61 + number}}})
            assert response.status_code in (200, 202), response.text
        elapsed = time.monotonic() - started
        assert elapsed < PROMPT, elapsed
        # The others get every change, the last one last.
        assert stack_module.wait_until(lambda: global_variables(
            healthy['ip'][0], ['max_connections']) == {
                'max_connections': '63'}, timeout=60)
        assert api.instance(healthy['id'])['status'] == 'ACTIVE'
    finally:
        os.kill(agent, signal.SIGCONT)

    # The silent one, awake again, ends in a defined state: the change
    # applied, or marked for its restart (its restart hands it the
    # group's values).
    def settled():
        shown = global_variables(silent['ip'][0], ['max_connections'])
        status = api.instance(silent['id'])['status']
        return (shown == {'max_connections': '63'} and status == 'ACTIVE'
                or status == 'RESTART_REQUIRED') and (shown, status)
    assert stack_module.wait_until(settled, timeout=240)
    for instance in (silent, healthy):
        assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    for instance in (silent, healthy):
        api.wait_gone(instance['id'], timeout=120)
    assert api.delete(f'/configurations/{group["id"]}').status_code == 202
