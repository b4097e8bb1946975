"""A qemu machine's command line, host name and process."""

import os
import subprocess
import sys

import pytest

from trove_lite.compute.qemu import machine


@pytest.fixture(autouse=True)
def broker(conf):
    conf.config(transport_url='rabbit://u:p@127.0.0.1:5672/tl')


@pytest.mark.parametrize('name, expected', [
    ('shop', 'shop'),
    ('My Shop_01', 'my-shop-01'),
    ('x\ninstance-id: evil', 'x-instance-id-evil'),
    ('---', 'trove-guest'),
    ('a' * 80, 'a' * 63),
])
def test_host_names_are_made_safe(name, expected):
    assert machine.hostname(name) == expected


def test_command_boots_an_untrusted_guest_without_privileges(tmp_path):
    args = machine.command(str(tmp_path), 512, 1, None, '127.0.3.4', 3306)

    assert args[args.index('-sandbox') + 1].startswith('on,')
    if os.geteuid() == 0:
        assert args[args.index('-runas') + 1] == 'nobody'
    assert args[args.index('-machine') + 1] == 'pc,accel=tcg'
    assert '-cpu' not in args
    assert args[-1] == '-daemonize'
    # No volume: the seed comes right after the root disk.
    drives = [args[i + 1] for i, arg in enumerate(args) if arg == '-drive']
    assert len(drives) == 2 and 'media=cdrom' in drives[1]


def test_kvm_runs_the_hosts_cpu(conf, tmp_path):
    conf.config(group='qemu_compute', accelerator='kvm')

    args = machine.command(str(tmp_path), 512, 1, None, '127.0.3.4', 3306)

    assert args[args.index('-machine') + 1] == 'pc,accel=kvm'
    assert args[args.index('-cpu') + 1] == 'host'


def test_pid_is_only_that_of_the_machines_own_qemu(tmp_path):
    directory = tmp_path / 'server'
    directory.mkdir()
    assert machine.pid(str(directory)) is None

    # A live process that is not this machine's (a reused pid).
    (directory / machine.PIDFILE).write_text(str(os.getpid()))
    assert machine.pid(str(directory)) is None

    disk = str(directory / machine.DISK)
    # The child says when it runs: until then its cmdline may still be
    # the parent's (a busy machine schedules the exec late).
    process = subprocess.Popen(
        [sys.executable, '-c',
         'import time; print("up", flush=True); time.sleep(30)', disk],
        stdout=subprocess.PIPE)
    try:
        assert process.stdout.readline() == b'up\n'
        (directory / machine.PIDFILE).write_text(str(process.pid))
        assert machine.pid(str(directory)) == process.pid
        machine.stop(str(directory), timeout=5)
        assert machine.pid(str(directory)) is None
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
