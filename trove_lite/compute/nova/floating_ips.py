"""The public address of an instance whose access ``is_public``: a
Neutron floating IP from ``[nova_compute] public_network`` on the port of
the instance's server, as Trove gives one.

Each floating IP carries the instance in its description, so it is found
again without a record of ours: after a crash between its creation and
its association, and after the server (and with it the port) is gone,
when Neutron keeps the address allocated to the service project until it
is deleted.
"""

import urllib.parse

from trove_lite.common import exceptions
from trove_lite.compute.nova import clients

FLOATING_IPS = 'v2.0/floatingips'
PORTS = 'v2.0/ports'


def description(instance_id):
    return f'trove-lite instance {instance_id}'


class FloatingIps:
    """Floating IPs of the service project, through a keystoneauth adapter
    for the network service."""

    def __init__(self, neutron):
        self._neutron = neutron

    def of_instance(self, instance_id):
        """The instance's floating IPs (normally one or none)."""
        query = urllib.parse.urlencode(
            {'description': description(instance_id)},
            quote_via=urllib.parse.quote)
        return self._request('GET', f'{FLOATING_IPS}?{query}',
                             f'the floating IPs of {instance_id}'
                             )['floatingips']

    def _port_of(self, server_id, management_networks):
        """The server's port on its first network that is not a
        management one (its only port when all are)."""
        query = urllib.parse.urlencode({'device_id': server_id})
        ports = self._request('GET', f'{PORTS}?{query}',
                              f'the ports of server {server_id}')['ports']
        if not ports:
            return None
        users = [port for port in ports
                 if port['network_id'] not in management_networks]
        return (users or ports)[0]['id']

    def attach(self, instance_id, server_id, network_id,
               management_networks=()):
        """Give the server a floating IP from ``network_id`` unless the
        instance has one on it already; its address. One left unattached
        (a crash, a server made again) is attached rather than a second
        one allocated."""
        port_id = self._port_of(server_id, management_networks)
        if port_id is None:
            raise exceptions.ComputeError(
                reason=f'server {server_id} has no port for a floating IP')
        found = self.of_instance(instance_id)
        for floating_ip in found:
            if floating_ip.get('port_id') == port_id:
                return floating_ip['floating_ip_address']
        if found:
            floating_ip = self._request(
                'PUT', f'{FLOATING_IPS}/{found[0]["id"]}',
                f'attaching floating IP {found[0]["id"]}',
                json={'floatingip': {'port_id': port_id}})
        else:
            floating_ip = self._request(
                'POST', FLOATING_IPS, f'a floating IP for {instance_id}',
                json={'floatingip': {
                    'floating_network_id': network_id,
                    'port_id': port_id,
                    'description': description(instance_id)}})
        return floating_ip['floatingip']['floating_ip_address']

    def release(self, instance_id):
        """Detach and give back every floating IP of the instance (none is
        fine); the addresses released."""
        released = []
        for floating_ip in self.of_instance(instance_id):
            response = self._neutron.delete(
                f'{FLOATING_IPS}/{floating_ip["id"]}', raise_exc=False)
            if response.status_code not in (204, 404):
                raise clients.neutron_refused(
                    response, f'releasing floating IP {floating_ip["id"]}')
            released.append(floating_ip['floating_ip_address'])
        return released

    def _request(self, method, url, what, **kwargs):
        return clients.neutron_request(self._neutron, method, url, what,
                                       **kwargs)
