"""Resizes of the nova driver: another flavor for a server (Nova's resize,
confirmed once the server waits in VERIFY_RESIZE) and a larger data
volume (Cinder's extend of the attached volume; the guest then grows its
filesystem, told through ``resize_fs``).

A Nova resize that fails before VERIFY_RESIZE (no host has room, the
flavor does not fit) puts the server back ACTIVE on its old flavor; one
whose confirm fails is reverted, so a failed resize leaves the server
running on the flavor it had, never waiting in VERIFY_RESIZE.
"""

import logging

from trove_lite.common import exceptions
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

# Nova's statuses of a server being resized; VERIFY_RESIZE waits for a
# confirm or a revert.
_SETTLED = frozenset({'VERIFY_RESIZE', 'ACTIVE', 'ERROR'})
# Volume statuses after an extend, while it is still under way.
_EXTENDING = frozenset({'extending'})


class Resizes:
    """``find(manager, id)``, ``calling`` and ``poll`` are the driver's
    (a resource or None, error wording, status polling)."""

    def __init__(self, nova, cinder, find, calling, poll):
        self._nova = nova
        # At a volume API version that extends attached volumes.
        self._cinder = cinder
        self._find = find
        self._calling = calling
        self._poll = poll

    # --- servers ---------------------------------------------------------

    def _server(self, server_id):
        with self._calling('Nova', f'server {server_id}'):
            server = self._find(self._nova.servers, server_id)
        if server is None:
            raise exceptions.ComputeError(
                reason=f'server {server_id} does not exist')
        return server

    def _wait(self, server_id, is_done, what):
        """Poll the server until ``is_done(server)``; the server."""
        timeout = CONF.resize_time_out
        with self._calling('Nova', f'server {server_id}'):
            done, server = self._poll(
                lambda: self._find(self._nova.servers, server_id),
                lambda s: s is None or is_done(s), timeout)
        if server is None:
            raise exceptions.ComputeError(
                reason=f'server {server_id} disappeared while {what}')
        if not done:
            raise exceptions.ComputeError(
                reason=f'server {server_id} was still {server.status} '
                       f'after {timeout} s {what}')
        return server

    def resize_server(self, server_id, flavor_id):
        """Resize the server to ``flavor_id`` and confirm it; the server,
        ACTIVE on that flavor. A server already on it is left as it is
        (the undo of a resize that never happened)."""
        server = self._server(server_id)
        if server.status == 'VERIFY_RESIZE':
            # Left by a taskmanager that stopped halfway: end that first.
            server = self._finish(server, confirm=_flavor_id(server) ==
                                  flavor_id)
        if _flavor_id(server) == flavor_id:
            return server
        with self._calling('Nova', f'resizing server {server_id} to flavor '
                                   f'{flavor_id}'):
            self._nova.servers.resize(server_id, flavor_id)
        server = self._wait(server_id, lambda s: s.status in _SETTLED,
                            'resizing')
        if server.status == 'ERROR':
            fault = getattr(server, 'fault', None) or {}
            raise exceptions.ComputeError(
                reason=f'server {server_id} went to ERROR while resizing: '
                       f'{fault.get("message", "Nova gave no reason")}')
        if server.status == 'ACTIVE':
            raise exceptions.ComputeError(
                reason=f'Nova did not resize server {server_id} to flavor '
                       f'{flavor_id}: it is back on flavor '
                       f'{_flavor_id(server)} (its instance actions say '
                       f'why)')
        server = self._finish(server, confirm=True)
        LOG.info('Server %s resized to flavor %s', server_id, flavor_id)
        return server

    def _finish(self, server, confirm):
        """Confirm (or revert) a resize waiting in VERIFY_RESIZE; the
        server, ACTIVE. A failed confirm is reverted and raised."""
        if not confirm:
            return self._revert(server.id)
        try:
            with self._calling('Nova', f'confirming the resize of server '
                                       f'{server.id}'):
                self._nova.servers.confirm_resize(server.id)
            return self._wait(server.id, lambda s: s.status == 'ACTIVE',
                              'confirming its resize')
        except Exception as error:
            LOG.warning('Reverting the resize of server %s: %s', server.id,
                        error)
            self._revert(server.id)
            raise

    def _revert(self, server_id):
        with self._calling('Nova', f'reverting the resize of server '
                                   f'{server_id}'):
            self._nova.servers.revert_resize(server_id)
        return self._wait(server_id, lambda s: s.status == 'ACTIVE',
                          'reverting its resize')

    # --- volumes ---------------------------------------------------------

    def extend_volume(self, volume_id, size_gb):
        """Grow the (attached) volume to ``size_gb`` and wait until Cinder
        and Nova are done; a volume already that large is left alone."""
        with self._calling('Cinder', f'volume {volume_id}'):
            volume = self._find(self._cinder.volumes, volume_id)
        if volume is None:
            raise exceptions.ComputeError(
                reason=f'volume {volume_id} does not exist')
        if volume.size >= size_gb:
            return
        status = volume.status
        with self._calling('Cinder', f'extending volume {volume_id} to '
                                     f'{size_gb} GB'):
            self._cinder.volumes.extend(volume_id, size_gb)
            done, volume = self._poll(
                lambda: self._find(self._cinder.volumes, volume_id),
                lambda v: v is None or v.status not in _EXTENDING,
                CONF.volume_time_out)
        if volume is None or not done or volume.status != status or \
                volume.size != size_gb:
            state = 'gone' if volume is None else \
                f'{volume.status} at {volume.size} GB'
            raise exceptions.ComputeError(
                reason=f'volume {volume_id} did not grow to {size_gb} GB '
                       f'(Cinder shows it {state})')
        LOG.info('Volume %s extended to %s GB', volume_id, size_gb)


def _flavor_id(server):
    return (getattr(server, 'flavor', None) or {}).get('id')
