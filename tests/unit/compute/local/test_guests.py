"""Starting, finding and stopping the guests of local servers
(compute/local/guests.py), with real processes and a recording launcher."""

import os

import pytest

from tests.unit.compute.local.test_processes import start_in
from trove_lite.common import exceptions
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import guests
from trove_lite.compute.local import images
from trove_lite.conf import CONF


class RecordingLauncher:
    """Stands in for the launcher process: records what it is asked to
    fork."""

    def __init__(self):
        self.launched = []
        self.cgroups = []
        self.nice = []

    def start(self):
        pass

    def launch(self, *arguments, cgroups=(), nice=0):
        self.launched.append(arguments)
        self.cgroups.append(cgroups)
        self.nice.append(nice)
        return 4242

    def pids(self):
        return ()


@pytest.fixture
def launcher(monkeypatch):
    made = RecordingLauncher()
    monkeypatch.setattr(guests.launcher, 'GuestLauncher', lambda: made)
    return made


@pytest.fixture
def servers(tmp_path):
    path = tmp_path / 'servers'
    (path / 'srv-1' / 'sandbox').mkdir(parents=True)
    return str(path)


def record(image_id=images.DEFAULT_IMAGE, pid=None):
    return {'id': 'srv-1', 'image_id': image_id, 'uid': None, 'gid': None,
            'pid': pid}


def test_a_builtin_image_is_forked_by_the_launcher_in_its_sandbox(
        launcher, servers):
    pid = guests.Guests(servers).start(record(), ['/hidden'], ['/needed'])

    server_dir = os.path.join(servers, 'srv-1')
    assert pid == 4242
    assert launcher.launched == [(
        ['--config-file', os.path.join(server_dir, 'guest.conf')],
        os.path.join(server_dir, 'sandbox'),
        os.path.join(server_dir, 'guest.log'), None, None, ['/hidden'],
        ['/needed'])]
    assert launcher.cgroups == [[]]


def test_a_guest_with_cgroups_is_forked_into_them(launcher, servers):
    guests.Guests(servers).start(dict(record(), cgroups=[
        '/cg/memory/srv-1', '/cg/cpu/srv-1']))
    assert launcher.cgroups == [['/cg/memory/srv-1', '/cg/cpu/srv-1']]


def test_a_guest_recorded_with_its_memory_cgroup_alone_joins_it(launcher,
                                                              servers):
    # A record written before guests had a CPU group.
    guests.Guests(servers).start(dict(record(), cgroup='/cg/srv-1'))
    assert launcher.cgroups == [['/cg/srv-1']]


def test_a_guest_is_forked_at_the_configured_lower_priority(launcher,
                                                            servers):
    CONF.set_override('guest_nice', 7, group='local_compute')
    guests.Guests(servers).start(record())
    assert launcher.nice == [7]


def test_an_extra_images_command_runs_at_the_lower_priority(
        launcher, servers):
    CONF.set_override('guest_images', {
        'sleeper': '{python} -c "import time; time.sleep(60)"'},
        group='local_compute')
    CONF.set_override('guest_nice', 5, group='local_compute')
    guest_processes = guests.Guests(servers)

    pid = guest_processes.start(record('sleeper'))
    try:
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(
            19, os.getpriority(os.PRIO_PROCESS, 0) + 5)
    finally:
        guest_processes.stop('srv-1', record('sleeper', pid))


def test_an_extra_image_runs_its_command_until_the_guest_is_stopped(
        launcher, servers):
    CONF.set_override('guest_images', {
        'sleeper': '{python} -c "import time; time.sleep(60)"'},
        group='local_compute')
    guest_processes = guests.Guests(servers)

    pid = guest_processes.start(record('sleeper'))

    assert launcher.launched == []
    assert guest_processes.is_running(record('sleeper', pid))
    assert guest_processes.unrecorded() == {'srv-1'}
    guest_processes.stop('srv-1', record('sleeper', pid))
    assert not guest_processes.is_running(record('sleeper', pid))
    assert guest_processes.unrecorded() == set()


def test_stop_ends_what_runs_in_the_server_or_on_its_volume_unrecorded(
        launcher, servers, tmp_path, started):
    volume = tmp_path / 'volumes' / 'vol-1'
    volume.mkdir(parents=True)
    in_sandbox = start_in(os.path.join(servers, 'srv-1', 'sandbox'))
    on_volume = start_in(str(volume))
    elsewhere = start_in(str(tmp_path))
    started += [in_sandbox, on_volume, elsewhere]
    guest_processes = guests.Guests(servers)

    guest_processes.stop('srv-1', None, str(volume))

    assert in_sandbox.wait(5) is not None
    assert on_volume.wait(5) is not None
    assert elsewhere.poll() is None


def test_a_process_in_the_servers_directory_itself_names_no_server(
        launcher, servers, started):
    started.append(start_in(servers))

    assert guests.Guests(servers).unrecorded() == set()


@pytest.fixture
def harmless(monkeypatch):
    """What the driver would do to a server's directory, recorded instead
    of done: should a path slip through as a server id, the test fails
    without stopping the machine's processes or removing its files."""
    done = []
    for module, name in ((local_driver.shutil, 'rmtree'),
                         (guests.processes, 'stop_in'),
                         (guests.processes, 'stop_group'),
                         (local_driver.files, 'reclaim')):
        monkeypatch.setattr(module, name,
                            lambda *args, _name=name, **kwargs:
                            done.append((_name, args)) or [])
    return done


@pytest.mark.parametrize('server_id', ['..', '.', '', '../volumes', '/'])
def test_the_driver_refuses_a_server_or_volume_id_that_is_a_path(
        launcher, tmp_path, monkeypatch, harmless, server_id):
    # As this service's own user: no guest users, no passable state path.
    monkeypatch.setattr(local_driver.guest_users, 'enabled', lambda: False)
    CONF.set_override('state_path', str(tmp_path / 'state'),
                      group='local_compute')
    driver = local_driver.LocalDriver()

    with pytest.raises(exceptions.ComputeError):
        driver.delete_server(server_id)
    with pytest.raises(exceptions.ComputeError):
        guests.Guests(str(tmp_path / 'state' / 'servers')).stop(
            server_id, None)
    with pytest.raises(exceptions.ComputeError):
        driver.delete_volume(server_id)

    assert harmless == []
