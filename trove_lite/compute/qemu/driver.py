"""The qemu compute driver: real virtual machines on one host, without
OpenStack. A server boots the guest image (``tools/build-guest-image.sh``)
with the nova driver's cloud-init user data on a NoCloud seed, so the
guest runs exactly as on a Nova server; a volume is a qcow2 file attached
as the guest's second disk.

Layout under ``[qemu_compute] state_path``::

    servers/<server_id>/server.json   address, image, volume, qemu command
    servers/<server_id>/...           the machine's files (machine.py)
    volumes/<volume_id>.qcow2         a volume, and its record (.json)
    images/<image>                    the images servers are backed by

An image is taken into ``images/`` (a hard link, or a copy across
filesystems) when a server first needs it, so rebuilding or pruning the
image cache never pulls a disk from under a running server; it goes when
its last server does.
"""

import contextlib
import fcntl
import json
import logging
import os
import shutil
import uuid

from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.local import addresses
from trove_lite.compute.nova import cloudinit
from trove_lite.compute.qemu import machine
from trove_lite.compute.qemu import network
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

NETWORK_NAME = 'qemu'


class QemuDriver(base.ComputeDriver):
    """Servers as qemu virtual machines with their own loopback address."""

    @classmethod
    def host_local(cls):
        return True

    def __init__(self):
        self.state_path = CONF.qemu_compute.state_path
        for folder in ('servers', 'volumes', 'images'):
            os.makedirs(os.path.join(self.state_path, folder), exist_ok=True)

    @contextlib.contextmanager
    def _locked(self):
        """Serialise changes to addresses and images (threads and
        processes)."""
        with open(os.path.join(self.state_path, 'state.lock'), 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    # --- volumes ---------------------------------------------------------

    def _volume_path(self, volume_id):
        return os.path.join(self.state_path, 'volumes', f'{volume_id}.qcow2')

    def create_volume(self, instance_id, size_gb, volume_type=None,
                      snapshot=None):
        if snapshot is not None:
            raise self.no_volume_snapshots()
        volume_id = str(uuid.uuid4())
        path = self._volume_path(volume_id)
        machine.create_volume(path, size_gb)
        _write_json(path + '.json', {
            'id': volume_id, 'name': f'trove-{instance_id}',
            'instance_id': instance_id, 'size': size_gb,
            'type': volume_type})
        return volume_id

    def delete_volume(self, volume_id):
        _remove(self._volume_path(volume_id))
        _remove(self._volume_path(volume_id) + '.json')

    def list_volumes(self):
        volumes = os.path.join(self.state_path, 'volumes')
        return [base.Volume(id=record['id'],
                            instance_id=record.get('instance_id'),
                            size=record.get('size'))
                for record in (_read_json(os.path.join(volumes, name))
                               for name in sorted(os.listdir(volumes))
                               if name.endswith('.json'))
                if record]

    # --- servers ---------------------------------------------------------

    def _server_path(self, server_id):
        return os.path.join(self.state_path, 'servers', server_id)

    def _read_server(self, server_id):
        return _read_json(os.path.join(self._server_path(server_id),
                                       'server.json'))

    def _records(self):
        servers = os.path.join(self.state_path, 'servers')
        return [record for record in (self._read_server(server_id)
                                      for server_id in os.listdir(servers))
                if record]

    def guest_transport_url(self):
        return network.guest_transport_url()

    def _take_image(self, image_id):
        """The server-side copy of image ``image_id`` (a file name in
        ``images_path``), made on first use."""
        if not image_id:
            raise exceptions.ServerBuildError(
                reason='the datastore version has no image to boot')
        if os.path.basename(image_id) != image_id or image_id[0] == '.':
            raise exceptions.ServerBuildError(
                reason=f'image {image_id!r} is not a file name')
        taken = os.path.join(self.state_path, 'images', image_id)
        if os.path.exists(taken):
            return taken
        source = os.path.join(CONF.qemu_compute.images_path, image_id)
        if not os.path.isfile(source):
            raise exceptions.ServerBuildError(
                reason=f'image {image_id} is not in '
                       f'{CONF.qemu_compute.images_path}; build it with '
                       f'tools/build-guest-image.sh')
        try:
            os.link(source, taken)
        except OSError:
            shutil.copyfile(source, taken + '.tmp')
            os.rename(taken + '.tmp', taken)
        return taken

    def _release_images(self):
        """Remove taken images no server is backed by any more."""
        used = {record['image_id'] for record in self._records()}
        images = os.path.join(self.state_path, 'images')
        for name in os.listdir(images):
            if name not in used:
                _remove(os.path.join(images, name))

    def create_server(self, instance_id, name, flavor, image_id, volume_id,
                      guest_config, security_group_id=None,
                      availability_zone=None, allowed_cidrs=None, nics=None):
        # One user-mode NIC with its own forwarded address: networks,
        # zones and security groups do not apply.
        server_id = str(uuid.uuid4())
        directory = self._server_path(server_id)
        port = getattr(CONF, guest_config.datastore_manager).port
        record = {'id': server_id, 'instance_id': instance_id, 'name': name,
                  'image_id': image_id, 'volume_id': volume_id,
                  'flavor_id': flavor['id'], 'port': port}
        with self._locked():
            image = self._take_image(image_id)
            record['address'] = address = addresses.pick_free(
                CONF.qemu_compute.address_pools,
                {r['address'] for r in self._records()}, port)
            if address is None:
                raise exceptions.ServerBuildError(
                    reason='no free address left in the qemu pools')
            os.makedirs(directory, 0o700)
            _write_json(os.path.join(directory, 'server.json'), record)
        try:
            self._build(directory, record, image, flavor, guest_config)
        except Exception:
            self.delete_server(server_id)
            raise
        LOG.info('Server %s for instance %s booting at %s (console: %s)',
                 server_id, instance_id, address,
                 os.path.join(directory, machine.CONSOLE))
        return self._server(record)

    def _build(self, directory, record, image, flavor, guest_config):
        volume_path = volume = None
        if record['volume_id']:
            volume_path = self._volume_path(record['volume_id'])
            # What the nova driver gives a Nova server's volume.
            volume = {'device': CONF.device_path,
                      'fstype': CONF.volume_fstype,
                      'mount_options': CONF.mount_options}
        machine.create_overlay(image, os.path.join(directory, machine.DISK),
                               flavor.get('disk') or 0)
        machine.write_seed(directory, record['id'], record['name'],
                           cloudinit.user_data(guest_config, volume))
        record['command'] = machine.command(
            directory, flavor['ram'], flavor.get('vcpus') or 1,
            volume_path, record['address'], record['port'])
        _write_json(os.path.join(directory, 'server.json'), record)
        machine.start(directory, record['command'])

    def _server(self, record):
        running = machine.pid(self._server_path(record['id'])) is not None
        return base.Server(
            id=record['id'], status='ACTIVE' if running else 'SHUTDOWN',
            addresses=[{'address': record['address'], 'type': 'private',
                        'network': NETWORK_NAME}],
            instance_id=record['instance_id'],
            volume_id=record['volume_id'])

    def get_server(self, server_id):
        record = self._read_server(server_id)
        return None if record is None else self._server(record)

    def list_servers(self):
        return [self._server(record) for record in self._records()]

    def _existing(self, server_id):
        record = self._read_server(server_id)
        if record is None or 'command' not in record:
            raise exceptions.ComputeError(
                reason=f'server {server_id} does not exist')
        return record

    def start_server(self, server_id):
        record = self._existing(server_id)
        directory = self._server_path(server_id)
        if machine.pid(directory) is None:
            machine.start(directory, record['command'])
            LOG.info('Server %s started again', server_id)
        return self._server(record)

    def reboot_server(self, server_id):
        self._existing(server_id)
        machine.stop(self._server_path(server_id),
                     CONF.server_delete_time_out)
        LOG.info('Server %s powered off for a reboot', server_id)
        return self.start_server(server_id)

    def delete_server(self, server_id):
        directory = self._server_path(server_id)
        machine.stop(directory, CONF.server_delete_time_out)
        shutil.rmtree(directory, ignore_errors=True)
        with self._locked():
            self._release_images()
        LOG.info('Server %s powered off and deleted', server_id)


def _write_json(path, obj):
    """Replace a JSON record atomically: readers never see half of it."""
    with open(path + '.tmp', 'w') as out:
        json.dump(obj, out)
    os.rename(path + '.tmp', path)


def _read_json(path):
    try:
        with open(path) as record:
            return json.load(record)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
