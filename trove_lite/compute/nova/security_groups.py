"""Per-instance Neutron security groups that open the datastore port."""

import ipaddress
import time
import urllib.parse

from trove_lite.common import exceptions
from trove_lite.compute.nova import clients

GROUPS = 'v2.0/security-groups'
RULES = 'v2.0/security-group-rules'


class SecurityGroups:
    """Security groups of the service project, through a keystoneauth
    adapter for the network service."""

    def __init__(self, neutron, poll_interval):
        self._neutron = neutron
        self._poll_interval = poll_interval

    def create(self, name, port, cidrs):
        """A group named ``name`` letting ``cidrs`` reach TCP ``port``; its
        id. A group whose rules could not all be made is removed again."""
        group = self._request(
            'POST', GROUPS, f'security group {name}',
            json={'security_group': {
                'name': name,
                'description': 'Datastore port of a trove-lite instance'}})
        group_id = group['security_group']['id']
        try:
            for cidr in cidrs:
                self._add_rule(group_id, port, cidr, name)
        except exceptions.ComputeError:
            self.delete(group_id, timeout=0)
            raise
        return group_id

    def _add_rule(self, group_id, port, cidr, name):
        self._request('POST', RULES, f'a rule of {name}', json={
            'security_group_rule': {
                'security_group_id': group_id,
                'direction': 'ingress',
                'ethertype': 'IPv6' if ':' in cidr else 'IPv4',
                'protocol': 'tcp',
                'port_range_min': port,
                'port_range_max': port,
                'remote_ip_prefix': cidr}})

    def set_rules(self, group_id, name, port, cidrs):
        """Make the group's ingress rules let exactly ``cidrs`` reach TCP
        ``port``: the missing rules are added before the unwanted ones go,
        so an allowed source is never cut off meanwhile, and a change
        interrupted halfway is finished by running it again."""
        query = urllib.parse.urlencode({'security_group_id': group_id,
                                        'direction': 'ingress'})
        rules = self._request('GET', f'{RULES}?{query}',
                              f'the rules of {name}')
        wanted = {str(ipaddress.ip_network(cidr, strict=False))
                  for cidr in cidrs}
        kept = set()
        unwanted = []
        for rule in rules['security_group_rules']:
            prefix = rule.get('remote_ip_prefix')
            if (rule.get('protocol') == 'tcp' and prefix in wanted
                    and rule.get('port_range_min') == port
                    and rule.get('port_range_max') == port):
                kept.add(prefix)
            else:
                unwanted.append(rule['id'])
        for cidr in sorted(wanted - kept):
            self._add_rule(group_id, port, cidr, name)
        for rule_id in unwanted:
            response = self._neutron.delete(f'{RULES}/{rule_id}',
                                            raise_exc=False)
            if response.status_code not in (204, 404):
                raise clients.neutron_refused(
                    response, f'deleting rule {rule_id} of {name}')

    def find(self, name):
        """Ids of the groups called ``name`` (normally one or none)."""
        query = urllib.parse.urlencode({'name': name, 'fields': 'id'})
        found = self._request('GET', f'{GROUPS}?{query}',
                              f'security groups named {name}')
        return [group['id'] for group in found['security_groups']]

    def delete(self, group_id, timeout):
        """Remove a group; gone already is fine. A group still in use (its
        server's port not yet released) is retried for ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            response = self._neutron.delete(f'{GROUPS}/{group_id}',
                                            raise_exc=False)
            if response.status_code in (204, 404):
                return
            if response.status_code != 409 or time.monotonic() >= deadline:
                raise clients.neutron_refused(
                    response, f'deleting security group {group_id}')
            time.sleep(self._poll_interval)

    def _request(self, method, url, what, **kwargs):
        return clients.neutron_request(self._neutron, method, url, what,
                                       **kwargs)
