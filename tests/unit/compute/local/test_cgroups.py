"""A memory cgroup per local guest, limited to its flavor's RAM, on both
cgroup hierarchies; guests run without one where the kernel refuses."""

import errno
import os

from trove_lite.compute.local import cgroups

MB = 1024 * 1024


def fake_v1(root):
    memory = root / 'memory'
    memory.mkdir()
    (memory / 'memory.limit_in_bytes').write_text('max')
    return memory


def test_v1_group_gets_the_flavor_ram_and_no_swap(tmp_path):
    memory = fake_v1(tmp_path)

    path = cgroups.make('/var/lib/trove-lite', 'srv-1', 256,
                        root=str(tmp_path))

    assert os.path.dirname(os.path.dirname(path)) == str(memory)
    assert os.path.basename(path) == 'srv-1'
    assert (open(os.path.join(path, 'memory.limit_in_bytes')).read()
            == str(256 * MB))
    cgroups.join(path, 1234)
    assert open(os.path.join(path, 'cgroup.procs')).read() == '1234'


def test_each_deployment_has_a_parent_of_its_own(tmp_path):
    fake_v1(tmp_path)
    first = cgroups.group_path('/srv/a', 'x', root=str(tmp_path))
    second = cgroups.group_path('/srv/b', 'x', root=str(tmp_path))
    assert os.path.dirname(first) != os.path.dirname(second)


def test_v2_group_delegates_memory_and_sets_max(tmp_path):
    (tmp_path / 'cgroup.controllers').write_text('cpu memory pids')
    # What the kernel shows in new groups.
    expected = cgroups.group_path('/var/lib/trove-lite', 'srv-2',
                                  root=str(tmp_path))
    os.makedirs(expected)
    open(os.path.join(os.path.dirname(expected), 'cgroup.subtree_control'),
         'w').close()
    open(os.path.join(expected, 'memory.swap.max'), 'w').close()

    path = cgroups.make('/var/lib/trove-lite', 'srv-2', 512,
                        root=str(tmp_path))

    parent = os.path.dirname(path)
    assert open(os.path.join(parent, 'cgroup.subtree_control')).read() \
        == '+memory'
    assert open(os.path.join(path, 'memory.max')).read() == str(512 * MB)
    assert open(os.path.join(path, 'memory.swap.max')).read() == '0'


def test_no_hierarchy_means_no_limit_said_once(tmp_path, caplog):
    assert cgroups.make('/s', 'srv-3', 256, root=str(tmp_path)) is None
    cgroups.remove(None)
    assert 'without a memory limit' in caplog.text


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
