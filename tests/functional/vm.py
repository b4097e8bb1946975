"""A stack whose servers are qemu virtual machines booted from the guest
image (``compute_driver = qemu``), for the tests of the guest on a VM."""

import os
import signal
import subprocess

from tests.functional import stack as stack_module
from trove_lite.compute.qemu import machine

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD_COMMAND = 'tools/build-guest-image.sh'
# /dev/kvm is not usable on the machines this runs on: software
# emulation, where a boot takes minutes instead of seconds.
ACCELERATOR = 'tcg'
BOOT_TIMEOUT = 900


def guest_image():
    """The guest image built from this checkout's source, or None when
    it is not built (the build script decides by content hash)."""
    result = subprocess.run([os.path.join(REPO, BUILD_COMMAND),
                             '--print-path'], capture_output=True, text=True,
                            check=False, timeout=120)
    return result.stdout.strip() if result.returncode == 0 else None


class VMStack(stack_module.Stack):
    """A Stack with the qemu compute driver and a datastore version whose
    image is the guest image."""

    def __init__(self, base_dir, image):
        self.image = image
        self.qemu_state_path = os.path.join(base_dir, 'qemu')
        super().__init__(base_dir, overrides={
            'DEFAULT': {
                'compute_driver': 'qemu',
                # An emulated guest answers calls slowly.
                'agent_call_low_timeout': '120',
                'agent_call_high_timeout': '300',
                'reboot_time_out': str(BOOT_TIMEOUT),
                'server_delete_time_out': '30',
            },
            'mariadb': {'usage_timeout': str(BOOT_TIMEOUT)},
            'qemu_compute': {
                'state_path': self.qemu_state_path,
                'images_path': os.path.dirname(image),
                'accelerator': ACCELERATOR,
            },
        })
        self.overrides['qemu_compute']['address_pools'] = self.address_pool

    def catalogue(self):
        catalogue = super().catalogue()
        name, number = self.version_name, self.version_number
        catalogue['datastores'] = [
            {'name': 'mariadb', 'default_version': name, 'versions': [
                {'name': name, 'manager': 'mariadb', 'version_number': number,
                 'image': os.path.basename(self.image)}]}]
        return catalogue

    def server_directories(self):
        servers = os.path.join(self.qemu_state_path, 'servers')
        return sorted(os.path.join(servers, name)
                      for name in os.listdir(servers)) \
            if os.path.isdir(servers) else []

    def server_directory(self, server_id):
        return os.path.join(self.qemu_state_path, 'servers', server_id)

    def volume_files(self):
        volumes = os.path.join(self.qemu_state_path, 'volumes')
        return sorted(os.listdir(volumes)) if os.path.isdir(volumes) else []

    def console(self, server_id):
        path = os.path.join(self.server_directory(server_id),
                            machine.CONSOLE)
        with open(path, errors='replace') as console:
            return console.read()

    def kill_guests(self):
        for directory in self.server_directories():
            pid = machine.pid(directory)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
