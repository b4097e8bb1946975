"""A qemu guest's network: qemu's user-mode network, restricted.

The guest gets a private NIC (DHCP from qemu, 10.0.2.15) that reaches
nothing on the host or beyond (``restrict=on``) except:

- the broker: each broker host of ``transport_url`` is forwarded from an
  address of the guest's network (10.0.2.100, .101, ...), so the guest's
  transport URL names those addresses and the control plane's broker
  stays where it is (a loopback broker included);
- inbound, the datastore port: forwarded from the server's own loopback
  address on the host, so tenants connect to ``address:3306`` as to a VM.

Nothing else on the host (the control-plane database, the API) is
reachable from a guest.
"""

import ipaddress
import shlex

import oslo_messaging as messaging

from trove_lite.conf import CONF

# qemu's user-mode network (10.0.2.0/24); .2 is the host, .3 DNS, .15 the
# guest. Forwarded brokers take addresses from .100 on.
FIRST_BROKER_ADDRESS = ipaddress.ip_address('10.0.2.100')
DEFAULT_BROKER_PORT = 5672


def _forwards():
    """(guest address, port, broker host) for each host of
    ``transport_url``, in its order; and the parsed URL."""
    url = messaging.TransportURL.parse(CONF, CONF.transport_url)
    return [(str(FIRST_BROKER_ADDRESS + index),
             host.port or DEFAULT_BROKER_PORT, host)
            for index, host in enumerate(url.hosts)], url


def broker_forwards():
    """(guest address, port, broker host name) for each broker host."""
    forwards, _ = _forwards()
    return [(address, port, host.hostname)
            for address, port, host in forwards]


def guest_transport_url():
    """``transport_url`` as a guest sees it: each broker host replaced by
    its forwarded address (credentials, vhost and query unchanged)."""
    forwards, url = _forwards()
    hosts = [messaging.TransportHost(hostname=address, port=port,
                                     username=host.username,
                                     password=host.password)
             for address, port, host in forwards]
    return str(messaging.TransportURL(
        CONF, transport=url.transport, virtual_host=url.virtual_host,
        hosts=hosts, query=url.query))


def netdev(address, port):
    """qemu's ``-netdev`` value: the restricted user-mode network with the
    datastore port forwarded in from ``address`` and the brokers out."""
    options = ['user', 'id=net0', 'restrict=on',
               f'hostfwd=tcp:{address}:{port}-:{port}']
    for guest_address, broker_port, host in broker_forwards():
        # qemu runs the command for each connection the guest opens.
        target = shlex.quote(f'TCP:{host}:{broker_port}')
        options.append(f'guestfwd=tcp:{guest_address}:{broker_port}-'
                       f'cmd:socat - {target}')
    return ','.join(options)
