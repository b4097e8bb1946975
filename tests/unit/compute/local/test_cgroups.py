"""A cgroup per local guest, on both hierarchies: its flavor's RAM, and
a share of the CPU (all guests together weighing as one process at
guest_nice); guests run without a controller where the kernel refuses
it."""

import errno
import os

import pytest

from trove_lite.compute.local import cgroups

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def warn_afresh(monkeypatch):
    monkeypatch.setattr(cgroups, '_warned', set())


def fake_v1(root, controllers=('memory', 'cpu')):
    files = {'memory': 'memory.limit_in_bytes', 'cpu': 'cpu.shares'}
    for name in controllers:
        (root / name).mkdir()
        (root / name / files[name]).write_text('max')
    return [str(root / name) for name in controllers]


def fake_v2(root, state_path, server_id):
    (root / 'cgroup.controllers').write_text('cpu memory pids')
    # What the kernel shows in new groups.
    (path,) = cgroups.group_paths(state_path, server_id, root=str(root))
    os.makedirs(path)
    for name in ('cgroup.subtree_control', 'cpu.weight'):
        open(os.path.join(os.path.dirname(path), name), 'w').close()
    open(os.path.join(path, 'memory.swap.max'), 'w').close()
    return path


def read(path, name):
    with open(os.path.join(path, name)) as value:
        return value.read()


def test_v1_groups_get_the_flavor_ram_and_the_guests_cpu_weight(tmp_path):
    memory, cpu = fake_v1(tmp_path)

    groups = cgroups.make('/var/lib/trove-lite', 'srv-1', 256, 10,
                          root=str(tmp_path))

    memory_group, cpu_group = groups
    assert os.path.dirname(os.path.dirname(memory_group)) == memory
    assert os.path.dirname(os.path.dirname(cpu_group)) == cpu
    assert {os.path.basename(group) for group in groups} == {'srv-1'}
    assert read(memory_group, 'memory.limit_in_bytes') == str(256 * MB)
    # All guests together weigh as a process at nice 10; each guest's
    # own group keeps the kernel's default, the same as every other's.
    assert read(os.path.dirname(cpu_group), 'cpu.shares') == '110'
    assert not os.path.exists(os.path.join(cpu_group, 'cpu.shares'))
    cgroups.join(groups, 1234)
    assert read(memory_group, 'cgroup.procs') == '1234'
    assert read(cpu_group, 'cgroup.procs') == '1234'
    assert cgroups.group_paths('/var/lib/trove-lite', 'srv-1',
                               root=str(tmp_path)) == groups


@pytest.mark.parametrize('nice, shares', [(0, '1024'), (19, '15')])
def test_the_cpu_weight_follows_the_nice_value(tmp_path, nice, shares):
    fake_v1(tmp_path, ('cpu',))
    (group,) = cgroups.make('/s', 'srv', None, nice, root=str(tmp_path))
    assert read(os.path.dirname(group), 'cpu.shares') == shares


def test_without_a_memory_limit_only_the_cpu_group_is_made(tmp_path):
    fake_v1(tmp_path)
    (group,) = cgroups.make('/s', 'srv', None, 10, root=str(tmp_path))
    assert group.startswith(str(tmp_path / 'cpu'))
    assert not os.path.exists(tmp_path / 'memory' / os.path.basename(
        os.path.dirname(group)))


def test_each_deployment_has_parents_of_its_own(tmp_path):
    fake_v1(tmp_path)
    first = cgroups.parent_paths('/srv/a', root=str(tmp_path))
    second = cgroups.parent_paths('/srv/b', root=str(tmp_path))
    assert len(first) == 2 and not set(first) & set(second)


def test_v2_group_delegates_both_controllers_and_sets_them(tmp_path):
    expected = fake_v2(tmp_path, '/var/lib/trove-lite', 'srv-2')

    groups = cgroups.make('/var/lib/trove-lite', 'srv-2', 512, 10,
                          root=str(tmp_path))

    # One directory holds both.
    assert groups == [expected]
    parent = os.path.dirname(expected)
    # Written one at a time, as the kernel takes them (the fake file
    # keeps the last).
    assert read(parent, 'cgroup.subtree_control') == '+cpu'
    assert read(parent, 'cpu.weight') == '11'
    assert read(expected, 'memory.max') == str(512 * MB)
    assert read(expected, 'memory.swap.max') == '0'


def test_resize_limits_the_memory_group_among_the_servers(tmp_path):
    fake_v1(tmp_path)
    groups = cgroups.make('/s', 'srv', 256, 10, root=str(tmp_path))
    assert cgroups.set_limit(groups, 512, root=str(tmp_path))
    assert read(groups[0], 'memory.limit_in_bytes') == str(512 * MB)
    # A guest started without a memory limit has no group to resize.
    assert not cgroups.set_limit(groups[1:], 512, root=str(tmp_path))


def test_no_hierarchy_means_no_limits_said_once_each(tmp_path, caplog):
    assert cgroups.make('/s', 'srv-3', 256, 10, root=str(tmp_path)) == []
    assert cgroups.make('/s', 'srv-4', 256, 10, root=str(tmp_path)) == []
    assert caplog.text.count('without a memory limit') == 1
    assert caplog.text.count('as much of the CPU as the control plane') \
        == 1


def test_a_controller_the_kernel_refuses_is_left_out(tmp_path, caplog):
    fake_v1(tmp_path)
    (parent,) = [path for path in cgroups.parent_paths('/s', str(tmp_path))
                 if path.startswith(str(tmp_path / 'cpu'))]
    os.makedirs(os.path.join(parent, 'cpu.shares'))  # cannot be written
    groups = cgroups.make('/s', 'srv-5', 256, 10, root=str(tmp_path))
    assert len(groups) == 1 and groups[0].startswith(
        str(tmp_path / 'memory'))
    assert 'as much of the CPU as the control plane' in caplog.text


def test_a_record_names_its_groups():
    assert cgroups.of({'cgroups': ['/a', '/b']}) == ['/a', '/b']
    # Written before guests had a CPU group.
    assert cgroups.of({'cgroup': '/a'}) == ['/a']
    assert cgroups.of({'cgroup': None}) == []


def test_remove_waits_for_a_killed_guest_to_leave(monkeypatch, tmp_path):
    # The kernel refuses to remove a cgroup (EBUSY) until its last
    # process has fully exited, which lags behind a SIGKILL.
    group = tmp_path / 'srv-4'
    group.mkdir()
    refusals = [OSError(errno.EBUSY, 'busy')] * 3
    real_rmdir = os.rmdir

    def rmdir(path):
        if refusals:
            raise refusals.pop()
        real_rmdir(path)

    monkeypatch.setattr(cgroups.os, 'rmdir', rmdir)
    cgroups.remove(str(group))
    assert not group.exists()


def test_remove_gives_up_on_a_cgroup_that_stays_busy(monkeypatch, tmp_path,
                                                     caplog):
    def rmdir(path):
        raise OSError(errno.EBUSY, 'busy')

    monkeypatch.setattr(cgroups.os, 'rmdir', rmdir)
    cgroups.remove(str(tmp_path), wait=0.1)
    assert 'not removed' in caplog.text
