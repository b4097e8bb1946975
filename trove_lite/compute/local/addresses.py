"""Loopback addresses for local servers: each server gets its own, like a
VM gets its own IP, so every database listens on the standard port."""

import ipaddress
import socket


def pool_hosts(cidrs):
    """Every usable host address of the pools, in order."""
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if not network.subnet_of(ipaddress.ip_network('127.0.0.0/8')):
            raise ValueError(f'{cidr} is not a loopback network')
        for host in network.hosts():
            if str(host) != '127.0.0.1':
                yield str(host)


def ipv4_networks(cidrs):
    """The IPv4 networks of ``cidrs``, overlaps merged (nftables'
    interval sets refuse overlapping elements). IPv6 networks are left
    out: a local server has only an IPv4 loopback address, which no IPv6
    source reaches."""
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]
    return [str(network) for network in ipaddress.collapse_addresses(
        n for n in networks if n.version == 4)]


def is_listening(address, port):
    """Whether something already answers on address:port (another stack's
    guest, or a leftover process): such an address is not free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((address, port)) == 0


def pick_free(cidrs, taken, port):
    """The first pool address that is neither taken nor in use."""
    for address in pool_hosts(cidrs):
        if address not in taken and not is_listening(address, port):
            return address
    return None
