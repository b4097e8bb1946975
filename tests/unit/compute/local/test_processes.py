"""Finding guests by where they run (compute/local/processes.py), with
real processes."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from trove_lite.compute.local import processes


def start_in(path, ignore_term=False):
    """A process working in ``path``, in a session of its own (as a
    guest runs)."""
    code = 'import signal, time\n'
    if ignore_term:
        code += 'signal.signal(signal.SIGTERM, signal.SIG_IGN)\n'
    code += 'print("up", flush=True)\ntime.sleep(60)\n'
    process = subprocess.Popen([sys.executable, '-c', code], cwd=path,
                               stdout=subprocess.PIPE,
                               start_new_session=True)
    assert process.stdout.readline() == b'up\n'
    return process


@pytest.fixture
def sandbox(tmp_path):
    path = tmp_path / 'servers' / 'srv-1'
    (path / 'deep').mkdir(parents=True)
    return str(path)


def test_processes_under_a_directory_are_found_even_once_it_is_removed(
        sandbox, started):
    top = start_in(sandbox)
    deep = start_in(os.path.join(sandbox, 'deep'))
    started += [top, deep]
    elsewhere = start_in(os.path.dirname(sandbox))
    started.append(elsewhere)

    assert sorted(processes.running_in(sandbox)) == sorted(
        [top.pid, deep.pid])
    shutil.rmtree(sandbox)
    assert sorted(processes.running_in(sandbox)) == sorted(
        [top.pid, deep.pid])
    assert processes.running_in(sandbox + '-other') == []


def test_stop_in_terms_then_kills_and_spares_what_it_is_told(
        sandbox, started):
    polite = start_in(sandbox)
    stubborn = start_in(sandbox, ignore_term=True)
    spared = start_in(sandbox)
    started += [polite, stubborn, spared]

    began = time.monotonic()
    found = processes.stop_in([sandbox], timeout=0.5, spare=[spared.pid])

    assert found == sorted([polite.pid, stubborn.pid])
    assert polite.wait(5) == -signal.SIGTERM
    assert stubborn.wait(5) == -signal.SIGKILL
    assert time.monotonic() - began >= 0.5
    assert spared.poll() is None


def test_stop_group_stops_a_guest_and_its_children(sandbox, started):
    leader = subprocess.Popen(
        ['sh', '-c', 'sleep 60 & wait'], cwd=sandbox,
        start_new_session=True)
    started.append(leader)
    deadline = time.monotonic() + 5
    while len(processes.group_members(leader.pid)) < 2 and \
            time.monotonic() < deadline:
        time.sleep(0.01)

    killed = processes.stop_group(leader.pid, 5, leader)

    assert killed is False
    assert processes.group_members(leader.pid) == []
