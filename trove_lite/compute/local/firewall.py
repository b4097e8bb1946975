"""Access of local servers: nftables refuses a TCP connection to a
server's datastore port from a source outside its instance's
``allowed_cidrs``.

The driver owns one table (``[local_compute] nft_table``, family inet).
Its ``input`` chain looks each packet's destination address and port up
in the map ``servers`` and jumps to the chain of that server
(``server_<id>``), which accepts the sources of its set (``allow_<id>``)
and resets every other connection. A server open to everyone has no
chain, set or map entry.

Every change is one ``nft -f`` transaction, which the kernel applies
whole or not at all, so a crash leaves a server's rules as they were or
as wanted, never half-made; ``rebuild`` makes the whole table match the
servers' records (at start-up, after a host reboot emptied it). Changes
hold a file lock, so a rebuild never drops the rules of a server made
meanwhile by another thread or process.

Where nftables cannot be used, iptables.py makes the same rules
(``[local_compute] firewall``; for_driver chooses).
"""

import logging
import os
import shutil
import subprocess

from trove_lite.common import exceptions
from trove_lite.compute.local import addresses
from trove_lite.compute.local import files
from trove_lite.compute.local import iptables

LOG = logging.getLogger(__name__)

MAP = 'servers'
BASE_CHAIN = 'input'


def _names(server_id):
    suffix = server_id.replace('-', '_')
    return f'server_{suffix}', f'allow_{suffix}'


def run_nft(script):
    """Apply ``script`` as one nft transaction (ComputeError if refused)."""
    if shutil.which('nft') is None:
        raise exceptions.ComputeError(
            reason='nft is not installed (apt-get install nftables): the '
                   'local driver cannot limit access to an instance')
    result = subprocess.run(['nft', '-f', '-'], input=script, text=True,
                            capture_output=True)
    if result.returncode != 0:
        raise exceptions.ComputeError(
            reason=f'nft refused the access rules: '
                   f'{result.stderr.strip()[:300]}')


class Firewall:
    """The access rules of the local servers in table ``table``; ``run``
    applies an nft script (run_nft; tests pass their own)."""

    def __init__(self, table, lock_path, run=run_nft):
        self.table = table
        self._lock_path = lock_path
        self._run = run

    def _locked(self):
        return files.locked(self._lock_path)

    def chain_of(self, server_id):
        return _names(server_id)[0]

    def _base(self):
        table = f'inet {self.table}'
        return [
            f'add table {table}',
            f'add map {table} {MAP} '
            f'{{ type ipv4_addr . inet_service : verdict; }}',
            f'add chain {table} {BASE_CHAIN} '
            f'{{ type filter hook input priority 0; policy accept; }}',
            f'flush chain {table} {BASE_CHAIN}',
            f'add rule {table} {BASE_CHAIN} '
            f'ip daddr . tcp dport vmap @{MAP}',
        ]

    def _server_rules(self, server_id, address, port, cidrs):
        """The lines that give a server its rules (none when ``cidrs`` is
        empty: open to everyone); they expect no rules of it yet."""
        if not cidrs:
            return []
        table = f'inet {self.table}'
        chain, allow = _names(server_id)
        lines = [f'add set {table} {allow} '
                 f'{{ type ipv4_addr; flags interval; }}',
                 f'add chain {table} {chain}']
        networks = addresses.ipv4_networks(cidrs)
        if networks:
            lines.append(f'add element {table} {allow} '
                         f'{{ {", ".join(networks)} }}')
        lines += [f'add rule {table} {chain} ip saddr @{allow} accept',
                  f'add rule {table} {chain} '
                  f'meta l4proto tcp reject with tcp reset',
                  f'add element {table} {MAP} '
                  f'{{ {address} . {port} : jump {chain} }}']
        return lines

    def apply(self, server_id, address, port, cidrs):
        """Let only ``cidrs`` reach ``address:port`` (everyone when empty
        or None), replacing the server's rules in one transaction."""
        if not cidrs and shutil.which('nft') is None:
            return  # no nft: no rules of it to remove
        table = f'inet {self.table}'
        chain, allow = _names(server_id)
        key = f'{address} . {port}'
        # "add" first makes each piece exist, so the deletes that follow
        # never fail on a server that had no rules.
        lines = self._base() + [
            f'add set {table} {allow} {{ type ipv4_addr; flags interval; }}',
            f'add chain {table} {chain}',
            f'add element {table} {MAP} {{ {key} : jump {chain} }}',
            f'delete element {table} {MAP} {{ {key} }}',
            f'flush chain {table} {chain}',
            f'delete chain {table} {chain}',
            f'delete set {table} {allow}',
        ] + self._server_rules(server_id, address, port, cidrs)
        with self._locked():
            self._run('\n'.join(lines) + '\n')
        LOG.info('Access to %s:%s (server %s): %s', address, port,
                 server_id, ', '.join(cidrs) if cidrs else 'everyone')

    def remove(self, server_id, address, port):
        """Drop the server's rules (none is fine)."""
        self.apply(server_id, address, port, None)

    def rebuild(self, servers):
        """Make the table hold exactly the rules of ``servers()``
        (``(server_id, address, port, cidrs)`` each), read under the lock.
        With no server limiting its access, no table is left; without nft
        or root there is then nothing to ask of nft."""
        with self._locked():
            wanted = [server for server in servers() if server[3]]
            table = f'inet {self.table}'
            lines = [f'add table {table}', f'delete table {table}']
            if not wanted:
                if shutil.which('nft') is not None and os.geteuid() == 0:
                    self._run('\n'.join(lines) + '\n')
                return
            lines += self._base()
            for server in wanted:
                lines += self._server_rules(*server)
            self._run('\n'.join(lines) + '\n')
        LOG.info('Access rules of %d local servers in table %s',
                 len(wanted), self.table)

    def remove_all(self):
        """Remove the whole table (a deployment's own, at its end)."""
        with self._locked():
            self._run(f'add table inet {self.table}\n'
                      f'delete table inet {self.table}\n')


class ServerAccess:
    """The local driver's access methods (a mixin: it has the servers'
    records and the Firewall)."""

    def update_access(self, instance_id, server_id, port, allowed_cidrs):
        """The record claims rules whenever some may exist (a limit is
        recorded before it is applied, an opening after), so a delete or
        a rebuild after a crash never misses one."""
        record = self._read_server(server_id)
        if record is None:
            raise exceptions.ComputeError(
                reason=f'server {server_id} does not exist')
        cidrs = list(allowed_cidrs or [])
        if cidrs:
            record['allowed_cidrs'] = cidrs
            self._write_server(server_id, record)
        self._firewall.apply(server_id, record['address'], record['port'],
                             cidrs)
        if not cidrs:
            record['allowed_cidrs'] = cidrs
            self._write_server(server_id, record)

    def reconcile_access(self):
        """Rebuild the access rules of every recorded server (a host
        reboot empties nftables; a crash may have left rules of a server
        whose record is gone)."""
        self._firewall.rebuild(lambda: [
            (record['id'], record['address'], record['port'],
             record.get('allowed_cidrs'))
            for record in self._records()])


def nft_usable():
    """Whether this process can read and change nftables."""
    if shutil.which('nft') is None:
        return False
    return subprocess.run(['nft', 'list', 'tables'],
                          capture_output=True).returncode == 0


def backend_classes():
    """The firewall classes by ``[local_compute] firewall`` name."""
    return {'nftables': Firewall, 'iptables': iptables.IptablesFirewall}


def choose_backend(wanted):
    """``wanted`` itself unless it is ``auto``: then nftables where this
    process can use it, else iptables where it can, else nftables (whose
    error then says what to install)."""
    if wanted != 'auto':
        return wanted
    if not nft_usable() and iptables.usable():
        return 'iptables'
    return 'nftables'


def for_driver(state_path, table, backend='auto'):
    """The firewall of the local driver whose state is ``state_path``;
    ``table`` names the deployment's rules (its nftables table, or the
    prefix of its iptables chains)."""
    chosen = choose_backend(backend)
    LOG.info('Access of local servers is enforced with %s', chosen)
    return backend_classes()[chosen](
        table, os.path.join(state_path, 'firewall.lock'))


def remove_all(state_path, table):
    """Remove the deployment's rules from every backend this process can
    use (a deployment's end; the backend may have changed)."""
    for backend in backend_classes().values():
        try:
            backend(table, os.path.join(state_path,
                                        'firewall.lock')).remove_all()
        except exceptions.ComputeError as error:
            LOG.debug('No rules removed: %s', error)
