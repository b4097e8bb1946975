"""Operators can see what runs: every guest agent shows in ps as
``trove-lite-guestagent <instance id>``, so one guest can be found and
signalled by its instance."""

import os

import pytest

pytestmark = pytest.mark.functional


def cmdline(pid):
    with open(f'/proc/{pid}/cmdline', 'rb') as found:
        return found.read().rstrip(b'\0').replace(b'\0', b' ').decode()


def guest_agents():
    """pid -> command line of every trove-lite-guestagent on the host."""
    agents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                line = cmdline(entry)
            except OSError:
                continue
            if line.startswith('trove-lite-guestagent '):
                agents[int(entry)] = line
    return agents


def test_each_guest_agent_shows_its_instance_id(stack, api):
    first = api.create_instance(name='named-1')['id']
    second = api.create_instance(name='named-2')['id']
    for instance_id in (first, second):
        api.wait_active(instance_id)

    for instance_id in (first, second):
        pid = stack.server_of(instance_id)['pid']
        assert cmdline(pid) == f'trove-lite-guestagent {instance_id}'
    # ps finds exactly one agent per instance by its id.
    agents = guest_agents()
    assert [pid for pid, line in agents.items() if line.endswith(first)] \
        == [stack.server_of(first)['pid']]

    for instance_id in (first, second):
        api.delete(f'/instances/{instance_id}')
    for instance_id in (first, second):
        api.wait_gone(instance_id)
