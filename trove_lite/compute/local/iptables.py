"""Access of local servers with iptables, where nftables is missing: the
rules of firewall.py in chains of the deployment's own.

Each server that limits its access has a chain ``TL<d>_<s>`` (``d``: a
hash of ``[local_compute] nft_table``, the deployment's name; ``s``: the
server's id) that accepts the sources of its CIDRs and resets every other
TCP connection; INPUT jumps to it only for packets to the server's own
address and port (inserted first, so no earlier host rule lets them
through). Nothing else of the host's rules is read or changed: iptables
is host-global.

Every change is one ``iptables-restore --noflush`` transaction, applied
whole or not at all, under the firewall's file lock. IPv6 CIDRs are left
out, so ip6tables has nothing to do: a local server has only an IPv4
loopback address.
"""

import hashlib
import logging
import os
import shutil
import subprocess

from trove_lite.common import exceptions
from trove_lite.compute.local import addresses
from trove_lite.compute.local import files

LOG = logging.getLogger(__name__)


def _missing():
    return exceptions.ComputeError(
        reason='iptables is not installed (apt-get install iptables): the '
               'local driver cannot limit access to an instance')


def run_restore(script):
    """Apply ``script`` as one iptables-restore transaction, leaving every
    chain it does not name as it is (ComputeError if refused)."""
    if shutil.which('iptables-restore') is None:
        raise _missing()
    result = subprocess.run(['iptables-restore', '--wait', '--noflush'],
                            input=script, text=True, capture_output=True)
    if result.returncode != 0:
        raise exceptions.ComputeError(
            reason=f'iptables-restore refused the access rules: '
                   f'{result.stderr.strip()[:300]}')


def list_rules():
    """The filter table's rules as ``iptables -S`` prints them."""
    if shutil.which('iptables') is None:
        raise _missing()
    result = subprocess.run(['iptables', '--wait', '-t', 'filter', '-S'],
                            text=True, capture_output=True)
    if result.returncode != 0:
        raise exceptions.ComputeError(
            reason=f'iptables cannot list the rules: '
                   f'{result.stderr.strip()[:300]}')
    return result.stdout


def usable():
    """Whether this process can read and change the rules."""
    try:
        list_rules()
    except exceptions.ComputeError:
        return False
    return shutil.which('iptables-restore') is not None


def chain_prefix(deployment):
    """The prefix of the deployment's chains (a chain name has at most 28
    characters, less than a table name may have)."""
    digest = hashlib.sha256(deployment.encode()).hexdigest()[:6]
    return f'TL{digest}_'


class IptablesFirewall:
    """The access rules of the local servers of deployment ``deployment``;
    ``run`` applies an iptables-restore script and ``listing`` returns
    the current rules (run_restore and list_rules; tests pass their
    own)."""

    def __init__(self, deployment, lock_path, run=run_restore,
                 listing=list_rules):
        self.prefix = chain_prefix(deployment)
        self._lock_path = lock_path
        self._run = run
        self._listing = listing

    def chain_of(self, server_id):
        return self.prefix + server_id.replace('-', '')[:16]

    def _ours(self, rules):
        """Our chains, and the INPUT rules that jump to them, of
        ``iptables -S`` output."""
        chains, jumps = set(), {}
        for line in rules.splitlines():
            words = line.split()
            if words[:1] == ['-N'] and words[1].startswith(self.prefix):
                chains.add(words[1])
            elif (words[:2] == ['-A', 'INPUT'] and words[-2:-1] == ['-j']
                  and words[-1].startswith(self.prefix)):
                jumps.setdefault(words[-1], []).append(line)
        return chains, jumps

    def _rules(self, server_id, address, port, cidrs):
        chain = self.chain_of(server_id)
        lines = [f'-A {chain} -s {network} -j ACCEPT'
                 for network in addresses.ipv4_networks(cidrs)]
        return lines + [
            f'-A {chain} -p tcp -j REJECT --reject-with tcp-reset',
            f'-I INPUT -d {address}/32 -p tcp -m tcp --dport {port} '
            f'-j {chain}']

    def _change(self, chains, jumps, drop, wanted):
        """One transaction: every chain of ``chains`` emptied, the INPUT
        jumps of ``jumps`` removed, the chains of ``drop`` deleted, the
        servers of ``wanted`` given their rules."""
        lines = ['*filter']
        lines += [f':{chain} - [0:0]' for chain in sorted(chains)]
        lines += ['-D' + line[2:] for line in jumps]
        lines += [f'-X {chain}' for chain in sorted(drop)]
        for server in wanted:
            lines += self._rules(*server)
        self._run('\n'.join(lines + ['COMMIT']) + '\n')

    def apply(self, server_id, address, port, cidrs):
        """Let only ``cidrs`` reach ``address:port`` (everyone when empty
        or None), replacing the server's rules in one transaction."""
        if not cidrs and shutil.which('iptables') is None:
            return  # no iptables: no rules of it to remove
        chain = self.chain_of(server_id)
        with files.locked(self._lock_path):
            _, jumps = self._ours(self._listing())
            self._change({chain}, jumps.get(chain, []),
                         set() if cidrs else {chain},
                         [(server_id, address, port, cidrs)] if cidrs
                         else [])
        LOG.info('Access to %s:%s (server %s, iptables): %s', address, port,
                 server_id, ', '.join(cidrs) if cidrs else 'everyone')

    def remove(self, server_id, address, port):
        """Drop the server's rules (none is fine)."""
        self.apply(server_id, address, port, None)

    def rebuild(self, servers):
        """Make the deployment's chains hold exactly the rules of
        ``servers()`` (``(server_id, address, port, cidrs)`` each)."""
        with files.locked(self._lock_path):
            wanted = [server for server in servers() if server[3]]
            if not wanted and (shutil.which('iptables') is None
                               or os.geteuid() != 0):
                return
            chains, jumps = self._ours(self._listing())
            keep = {self.chain_of(server[0]) for server in wanted}
            if chains or wanted:
                self._change(chains | keep,
                             [line for lines in jumps.values()
                              for line in lines],
                             chains - keep, wanted)
        LOG.info('Access rules of %d local servers in iptables chains %s*',
                 len(wanted), self.prefix)

    def remove_all(self):
        """Remove every chain of the deployment (at its end)."""
        self.rebuild(list)
