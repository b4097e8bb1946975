"""Nova and Neutron stand-ins for upstream trove-api in the side-by-side
benchmark, plugged in through Trove's own ``remote_nova_client`` and
``remote_neutron_client`` options. They do no I/O and know no server, so
upstream pays no Nova round trip at all (a real cloud adds at least one
per list and three per show) and never calls a guest."""

from novaclient import api_versions
from novaclient import exceptions as nova_exceptions


class _Servers:
    def list(self, *args, **kwargs):
        return []

    def get(self, server_id):
        raise nova_exceptions.NotFound(404, f'server {server_id} not found')


class _ServerGroups:
    def list(self, *args, **kwargs):
        return []


class _Flavors:
    def get(self, flavor_id):
        raise nova_exceptions.NotFound(404, f'flavor {flavor_id} not found')


class FakeNova:
    api_version = api_versions.APIVersion('2.57')
    servers = _Servers()
    server_groups = _ServerGroups()
    flavors = _Flavors()


class FakeNeutron:
    def list_ports(self, **kwargs):
        return {'ports': []}

    def list_floatingips(self, **kwargs):
        return {'floatingips': []}


_NOVA = FakeNova()
_NEUTRON = FakeNeutron()


def nova_client(context, region_name=None, password=None):
    return _NOVA


def neutron_client(context, region_name=None):
    return _NEUTRON
