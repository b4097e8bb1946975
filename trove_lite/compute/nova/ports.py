"""The Neutron port of an instance on the network its create's ``nics``
chose: checked at the API, made before the server boots (Nova is given
the port, so the instance's address and security group are ours to set),
removed after the server is gone."""

import urllib.parse

from trove_lite.common import exceptions
from trove_lite.compute.nova import clients

PORTS = 'v2.0/ports'
NETWORKS = 'v2.0/networks'
SUBNETS = 'v2.0/subnets'


class Ports:
    """Ports, networks and subnets of the cloud, through a keystoneauth
    adapter for the network service acting as the service user."""

    def __init__(self, neutron):
        self._neutron = neutron

    def resolve(self, project_id, nic):
        """The validated ``nic`` with the network its subnet is on. The
        service user sees every project's networks, so one the project
        could not use itself (neither its own nor shared) is reported
        missing like one that does not exist: BadRequest."""
        network_id = nic.get('network_id')
        subnet_id = nic.get('subnet_id')
        if subnet_id:
            subnet = self._get(SUBNETS, subnet_id, 'subnet')
            if subnet is None:
                raise exceptions.BadRequest(
                    f'Subnet {subnet_id} cannot be found.')
            if network_id and subnet['network_id'] != network_id:
                raise exceptions.SubnetNotFound(subnet_id=subnet_id,
                                                network_id=network_id)
            network_id = subnet['network_id']
        network = self._get(NETWORKS, network_id, 'network')
        if network is None or not (network.get('shared') or
                                   network.get('project_id') == project_id):
            raise exceptions.NetworkNotFound(uuid=network_id)
        return dict(nic, network_id=network_id)

    def create(self, name, nic, security_group_id=None):
        """A port called ``name`` on the nic's network (on its subnet, at
        its address when given); its id."""
        port = {'name': name, 'network_id': nic['network_id'],
                'description': 'Network of a trove-lite instance'}
        if nic.get('subnet_id'):
            fixed_ip = {'subnet_id': nic['subnet_id']}
            if nic.get('ip_address'):
                fixed_ip['ip_address'] = nic['ip_address']
            port['fixed_ips'] = [fixed_ip]
        # Without one of ours, Neutron gives the service project's
        # default group, as it does to Nova's own ports.
        if security_group_id:
            port['security_groups'] = [security_group_id]
        created = self._request('POST', PORTS, f'port {name}',
                                json={'port': port})
        return created['port']['id']

    def find(self, name):
        """Ids of the ports called ``name``."""
        query = urllib.parse.urlencode({'name': name, 'fields': 'id'})
        found = self._request('GET', f'{PORTS}?{query}',
                              f'ports named {name}')
        return [port['id'] for port in found['ports']]

    def delete(self, port_id):
        """Remove a port; gone already is fine."""
        response = self._neutron.delete(f'{PORTS}/{port_id}',
                                        raise_exc=False)
        if response.status_code not in (204, 404):
            raise clients.neutron_refused(response,
                                          f'deleting port {port_id}')

    def _get(self, collection, resource_id, kind):
        """The resource, or None when Neutron has none by that id."""
        response = self._neutron.get(f'{collection}/{resource_id}',
                                     raise_exc=False)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise clients.neutron_refused(response, f'{kind} {resource_id}')
        return response.json()[kind]

    def _request(self, method, url, what, **kwargs):
        return clients.neutron_request(self._neutron, method, url, what,
                                       **kwargs)
