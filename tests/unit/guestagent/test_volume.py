"""The guest's volume: real usage, the disk allowance and its
enforcement, and restarts that report their outcome."""

import os
import subprocess
import threading

import pytest

from trove_lite.common import exceptions
from trove_lite.guestagent import manager
from trove_lite.guestagent import volume
from trove_lite.records.status import ServiceStatuses as Services


def test_usage_counts_allocated_blocks_not_apparent_size(tmp_path):
    with open(tmp_path / 'sparse', 'wb') as sparse:
        sparse.truncate(1 << 30)
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'data').write_bytes(b'x' * (1 << 20))
    os.link(tmp_path / 'sub' / 'data', tmp_path / 'same-data')
    used = volume.directory_usage(str(tmp_path))
    assert (1 << 20) <= used < (1 << 20) + (1 << 16)


def test_stats_against_an_allowance(tmp_path):
    (tmp_path / 'data').write_bytes(b'x' * (1 << 20))
    stats = volume.filesystem_stats(str(tmp_path), allowance_gb=2)
    assert stats['total'] == 2.0
    assert stats['used'] == 0.01  # a megabyte is at least 0.01 GB
    used_blocks = stats['total_blocks'] - stats['free_blocks']
    assert used_blocks * volume.BLOCK_SIZE >= 1 << 20
    assert not volume.is_full(stats)
    assert volume.usage(stats) == {
        'used': 0.01, 'used_percent': round(100 * used_blocks /
                                            stats['total_blocks'], 2)}


def test_stats_of_a_filesystem_without_allowance(tmp_path):
    stats = volume.filesystem_stats(str(tmp_path))
    assert stats['total'] > 0 and 0 <= stats['used'] <= stats['total']


class FakeConductor:
    def __init__(self):
        self.reports = []
        self.volumes = []

    def heartbeat(self, context, instance_id, payload, sent):
        self.reports.append((payload['service_status'], sent))
        self.volumes.append(payload.get('volume'))


class FakeDatastoreManager(manager.Manager):
    def __init__(self, sandbox):
        super().__init__('inst-1', str(sandbox), FakeConductor())
        self.events = []
        self.running = True
        self.refused = None

    def datastore_status(self):
        return Services.HEALTHY if self.running else Services.SHUTDOWN

    def stop_datastore(self):
        self.events.append('stop')
        self.running = False

    def start_datastore(self):
        self.events.append('start')
        self.running = True

    def refuse_writes(self, refuse):
        self.refused = refuse


@pytest.fixture
def guest(tmp_path, conf):
    datadir = tmp_path / 'volume'
    datadir.mkdir()
    conf.config(mount_point=str(datadir), disk_allowance_gb=1,
                group='guest_agent')
    agent = FakeDatastoreManager(tmp_path)
    agent.status.is_installed = True
    return agent


def test_restart_reports_the_status_after_it_and_returns_the_stamp(guest):
    sent = guest.restart(None)
    assert guest.events == ['stop', 'start']
    assert guest.conductor.reports == [('healthy', sent)]


def test_no_periodic_report_can_interleave_with_a_restart(guest):
    started = threading.Event()
    release = threading.Event()

    def slow_start():
        started.set()
        release.wait(5)
        guest.running = True

    guest.start_datastore = slow_start
    restart = threading.Thread(target=guest.restart, args=(None,))
    restart.start()
    started.wait(5)
    reporter = threading.Thread(target=guest.report_status)
    reporter.start()
    reporter.join(0.2)
    assert reporter.is_alive()  # waiting for the restart to end
    release.set()
    restart.join(5)
    reporter.join(5)
    assert [status for status, _ in guest.conductor.reports] == [
        'healthy', 'healthy']


def test_every_report_carries_the_volume_usage(guest, tmp_path):
    guest.report_status()
    guest.restart(None)
    guest.running = False
    guest.report_status()
    assert len(guest.conductor.volumes) == 3
    for usage in guest.conductor.volumes:
        assert usage['used'] < 0.01 and usage['used_percent'] < 1


def test_full_volume_refuses_writes_until_it_grows(guest, conf, tmp_path):
    datadir = tmp_path / 'volume'
    with open(datadir / 'filler', 'wb') as filler:
        os.posix_fallocate(filler.fileno(), 0, 1 << 30)
    guest.report_status()
    assert guest.refused is True
    assert guest.conductor.volumes[-1] == {'used': 1.0,
                                           'used_percent': 100.0}
    conf.config(disk_allowance_gb=2, group='guest_agent')
    guest.enforce_disk_allowance()
    assert guest.refused is False


def test_a_failed_allowance_check_still_sends_the_heartbeat(guest):
    def fail(refuse):
        raise OSError('the server went away')

    guest.refuse_writes = fail
    guest.report_status()
    assert [status for status, _ in guest.conductor.reports] == ['healthy']


def test_an_unmeasurable_volume_still_sends_the_heartbeat(guest, conf,
                                                          tmp_path):
    conf.config(mount_point=str(tmp_path / 'gone'), disk_allowance_gb=0,
                group='guest_agent')
    guest.report_status()
    assert guest.conductor.reports[-1][0] == 'healthy'
    assert guest.conductor.volumes[-1] is None


def test_allowance_is_not_checked_while_the_datastore_is_down(guest):
    guest.running = False
    guest.report_status()
    assert guest.refused is None
    assert guest.conductor.reports[-1][0] == 'shutdown'


def _ext4_image(tmp_path, size_mb):
    """An ext4 filesystem in a file of ``size_mb`` MB, and a mounts file
    that shows it mounted at ``tmp_path/data`` (resize2fs grows a file
    the same way as a device, offline: no root, no real mount)."""
    image = tmp_path / 'volume.img'
    with open(image, 'wb') as disk:
        disk.truncate(size_mb << 20)
    subprocess.run(['mkfs.ext4', '-q', '-F', str(image)], check=True)
    data = tmp_path / 'data'
    data.mkdir()
    mounts = tmp_path / 'mounts'
    mounts.write_text(f'/dev/root / ext4 rw 0 0\n'
                      f'{image} {data} ext4 rw,relatime 0 0\n')
    return image, data, mounts


def _ext4_bytes(image):
    header = subprocess.run(['dumpe2fs', '-h', str(image)], check=True,
                            capture_output=True, text=True).stdout
    fields = dict(line.split(':', 1) for line in header.splitlines()
                  if ':' in line)
    return int(fields['Block count']) * int(fields['Block size'])


def test_a_grown_device_s_ext4_filesystem_grows_to_it(tmp_path):
    image, data, mounts = _ext4_image(tmp_path, 8)
    assert _ext4_bytes(image) == 8 << 20
    with open(image, 'r+b') as disk:
        disk.truncate(24 << 20)  # the device was extended
    volume.grow_filesystem(str(data), str(mounts))
    assert _ext4_bytes(image) == 24 << 20


def test_the_filesystem_mounted_last_is_the_one_grown(tmp_path):
    mounts = tmp_path / 'mounts'
    mounts.write_text('/dev/vdb /mnt\\040data ext4 rw 0 0\n'
                      '/dev/vdc /mnt\\040data xfs rw 0 0\n')
    assert volume.mounted('/mnt data', str(mounts)) == ('/dev/vdc', 'xfs')


@pytest.mark.parametrize('line, error', [
    ('', 'nothing is mounted'),
    ('tmpfs {data} tmpfs rw 0 0', 'tmpfs filesystem cannot be grown'),
    ('/dev/not-there {data} ext4 rw 0 0', 'resize2fs failed'),
])
def test_a_filesystem_that_cannot_grow_says_why(tmp_path, line, error):
    mounts = tmp_path / 'mounts'
    mounts.write_text(line.format(data=tmp_path) + '\n')
    with pytest.raises(ValueError, match=error):
        volume.grow_filesystem(str(tmp_path), str(mounts))


def test_resize_fs_of_a_block_device_grows_its_filesystem(guest, conf,
                                                          tmp_path,
                                                          monkeypatch):
    image, data, mounts = _ext4_image(tmp_path, 8)
    with open(image, 'r+b') as disk:
        disk.truncate(16 << 20)
    conf.config(disk_allowance_gb=0, mount_point=str(data),
                group='guest_agent')
    monkeypatch.setattr(volume, 'MOUNTS', str(mounts))
    # Trove's arguments do not choose what is grown.
    guest.resize_fs(None, device_path='/dev/vda', mount_point='/')
    assert _ext4_bytes(image) == 16 << 20


def test_resize_fs_that_cannot_grow_is_a_datastore_error(guest, conf,
                                                         tmp_path):
    conf.config(disk_allowance_gb=0, mount_point=str(tmp_path / 'none'),
                group='guest_agent')
    with pytest.raises(exceptions.DatastoreOperationError,
                       match='growing the filesystem at .*none failed'):
        guest.resize_fs(None)
