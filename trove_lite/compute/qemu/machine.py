"""One qemu virtual machine: its disks, its NoCloud seed, its process.

A machine's files are in its own directory:

    disk.qcow2    the root disk, an overlay on the guest image (servers
                  share the image's blocks)
    seed.iso      the NoCloud seed: cloud-init's user data and meta data
    console.log   the serial console (kernel, cloud-init, the agent's log)
    qemu.pid      the running qemu's pid

qemu daemonises into a session of its own, so a machine outlives a
taskmanager restart as a Nova server does.
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from trove_lite.common import exceptions
from trove_lite.compute.qemu import network
from trove_lite.conf import CONF

DISK = 'disk.qcow2'
SEED = 'seed.iso'
CONSOLE = 'console.log'
PIDFILE = 'qemu.pid'

# The seed's volume label NoCloud looks for.
SEED_LABEL = 'cidata'


def _run(command, what):
    result = subprocess.run(command, capture_output=True, text=True,
                            check=False, timeout=300)
    if result.returncode != 0:
        raise exceptions.ComputeError(
            reason=f'{what} failed: {result.stderr.strip()[-500:]}')
    return result.stdout


def virtual_size(path):
    """A disk image's size as the guest sees it, in bytes."""
    info = _run([CONF.qemu_compute.qemu_img_path, 'info', '--output=json',
                 path], f'reading image {path}')
    return json.loads(info)['virtual-size']


def create_overlay(image, path, size_gb):
    """A root disk backed by ``image``, at least ``size_gb`` (the
    flavor's disk; cloud-init grows the root filesystem to it)."""
    size = max(virtual_size(image), size_gb * 1024 ** 3)
    _run([CONF.qemu_compute.qemu_img_path, 'create', '-q', '-f', 'qcow2',
          '-F', 'qcow2', '-b', image, path, str(size)],
         f'creating disk {path}')


def create_volume(path, size_gb):
    _run([CONF.qemu_compute.qemu_img_path, 'create', '-q', '-f', 'qcow2',
          path, f'{size_gb}G'], f'creating volume {path}')


def hostname(name):
    """A valid host name made of a server name (a tenant's text)."""
    label = re.sub(r'[^a-z0-9-]+', '-', name.lower()).strip('-')[:63]
    return label.strip('-') or 'trove-guest'


def write_seed(directory, server_id, name, user_data):
    """The NoCloud seed holding ``user_data``: an ISO 9660 image labelled
    ``cidata``, readable by its owner only (the user data holds the
    guest's credentials)."""
    # JSON is YAML: no name can add keys to the meta data.
    meta_data = json.dumps({'instance-id': server_id,
                            'local-hostname': hostname(name)})
    seed = os.path.join(directory, SEED)
    with tempfile.TemporaryDirectory(dir=directory) as files:
        for file_name, text in (('user-data', user_data),
                                ('meta-data', meta_data)):
            with open(os.path.join(files, file_name), 'w') as out:
                out.write(text)
        _run(['genisoimage', '-quiet', '-output', seed + '.tmp',
              '-volid', SEED_LABEL, '-joliet', '-rock',
              os.path.join(files, 'user-data'),
              os.path.join(files, 'meta-data')], 'writing the NoCloud seed')
    os.chmod(seed + '.tmp', 0o600)
    os.rename(seed + '.tmp', seed)


def command(directory, memory_mb, vcpus, volume_path, address, port):
    """The qemu command line of a machine: root disk first (vda), the
    data volume second (vdb, the nova driver's default ``device_path``),
    the seed as a CD-ROM."""
    accelerator = CONF.qemu_compute.accelerator
    args = [CONF.qemu_compute.qemu_path,
            '-name', f'trove-lite-{os.path.basename(directory)}',
            '-machine', f'pc,accel={accelerator}',
            '-m', str(memory_mb), '-smp', str(vcpus),
            '-nodefaults', '-no-user-config', '-display', 'none',
            # A guest is not trusted: qemu runs confined by seccomp (it
            # may still spawn the broker forwarder).
            '-sandbox', 'on,obsolete=deny,resourcecontrol=deny',
            '-serial', f'file:{os.path.join(directory, CONSOLE)}',
            '-drive', f'file={os.path.join(directory, DISK)},if=virtio,'
                      'format=qcow2',
            ]
    if accelerator == 'kvm':
        args += ['-cpu', 'host']
    if os.geteuid() == 0:
        # Once its files are open, qemu drops root (daemonising must
        # keep setsid, so seccomp cannot forbid changing users).
        args += ['-runas', CONF.qemu_compute.run_as_user]
    if volume_path:
        args += ['-drive', f'file={volume_path},if=virtio,format=qcow2']
    args += ['-drive', f'file={os.path.join(directory, SEED)},'
                       'media=cdrom,readonly=on',
             '-netdev', network.netdev(address, port),
             # No option ROM: the disk boots, not the network.
             '-device', 'virtio-net-pci,netdev=net0,romfile=',
             '-device', 'virtio-rng-pci',
             '-pidfile', os.path.join(directory, PIDFILE), '-daemonize']
    return args


def start(directory, args):
    """Boot the machine; qemu returns once it runs, or fails with its
    reason (a forwarded address already taken, a missing disk)."""
    _run(args, f'starting the virtual machine in {directory}')


def pid(directory):
    """The pid of the machine's qemu while it runs, else None (a pid file
    left behind, a reused pid, a zombie)."""
    try:
        with open(os.path.join(directory, PIDFILE)) as pid_file:
            found = int(pid_file.read().strip())
        with open(f'/proc/{found}/cmdline', 'rb') as cmdline:
            if os.path.join(directory, DISK).encode() not in cmdline.read():
                return None
        with open(f'/proc/{found}/stat') as stat:
            if stat.read().rsplit(')', 1)[1].split()[0] == 'Z':
                return None
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    return found


def stop(directory, timeout):
    """Power the machine off (qemu quits on SIGTERM at once), waiting
    until its process is gone; SIGKILL after ``timeout``."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        found = pid(directory)
        if found is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(found, signum)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pid(directory) is None:
                return
            time.sleep(0.05)
    raise exceptions.ComputeError(
        reason=f'the virtual machine in {directory} did not stop')
