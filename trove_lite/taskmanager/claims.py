"""The per-instance claim: at most one workflow, in all the taskmanagers
of a deployment, works on an instance.

Every taskmanager workflow (create, delete, restart, resize, and the
housekeeping that finishes or fails left-over work) runs inside::

    with claims.acquire(instance_id, 'delete', wait=300) as claim:
        ...

which takes the instance's claim (waiting up to ``wait`` seconds for the
workflow holding it), and releases it when the block ends, however it
ends. A claim that is not free in time raises ``ClaimHeld`` before the
block runs, so a caller handles "someone else is on it" in one place.

A claim is a row in the database naming the taskmanager's ``host``, as
Ironic's node reservation names its conductor. Its lease is the host's
heartbeat in the service registry: once that is older than
``taskmanager_lease_timeout`` (the taskmanager died, or lost the
database), any taskmanager may take the claim over, and housekeeping
does, to finish or fail what the dead one left (``lapsed``). A claim
recorded for this very host that this process does not hold was taken by
its previous process, so it is taken back at once: one taskmanager runs
per host. Within this process, a lock per instance keeps the threads of
the workflows apart before they reach the database.

Work that must outlive the block (a wait handed to a thread of its own)
is passed to ``claim.continue_in_thread``: the thread starts when the
block ends and the claim is released only when the thread has finished,
as Ironic's ``task.spawn_after`` does.
"""

import logging
import threading
import time

from trove_lite import db
from trove_lite.conf import CONF
from trove_lite.db import retry
from trove_lite.db.repositories import claims as claim_rows

LOG = logging.getLogger(__name__)

# Seconds between tries of a claim another taskmanager holds.
POLL_INTERVAL = 0.5


class ClaimHeld(Exception):
    """Another workflow held the instance's claim for longer than the
    caller would wait."""

    def __init__(self, instance_id, purpose, wait):
        super().__init__(f'{purpose} of {instance_id}: the instance stayed '
                         f'busy for {wait:g} s')
        self.instance_id = instance_id
        self.purpose = purpose
        self.wait = wait


class Claim:
    """One workflow's hold on one instance (made by ``Claims.acquire``)."""

    def __init__(self, claims, instance_id, purpose, wait):
        self._claims = claims
        self.instance_id = instance_id
        self.purpose = purpose
        self._wait = wait
        self._continuation = None
        # The host whose lapsed claim this one took over, if any.
        self.taken_from = None

    def __enter__(self):
        taken, self.taken_from = self._claims._take(
            self.instance_id, self.purpose, self._wait)
        if not taken:
            raise ClaimHeld(self.instance_id, self.purpose, self._wait)
        return self

    def __exit__(self, *exc_info):
        continuation, self._continuation = self._continuation, None
        if continuation is None or exc_info[0] is not None:
            self._claims._release(self.instance_id)
            return False
        threading.Thread(target=self._run_then_release, args=continuation,
                         name=f'{self.purpose}-{self.instance_id}',
                         daemon=True).start()
        return False

    def continue_in_thread(self, function, *args):
        """Run ``function(*args)`` in a thread of its own once the block
        ends, still holding the claim; it is released when the function
        returns or raises."""
        self._continuation = (function, args)

    def _run_then_release(self, function, args):
        try:
            function(*args)
        except Exception:
            LOG.exception('%s of %s failed', self.purpose, self.instance_id)
        finally:
            self._claims._release(self.instance_id)


@retry.retry_once_on_disconnect
@retry.retry_on_deadlock
def _take_row(instance_id, host, purpose):
    with db.transaction() as tx:
        return claim_rows.take(tx, instance_id, host, purpose,
                               CONF.taskmanager_lease_timeout)


@retry.retry_on_unavailable
@retry.retry_on_deadlock
def _release_row(instance_id, host):
    with db.transaction() as tx:
        claim_rows.release(tx, instance_id, host)


class Claims:
    """The claims of this taskmanager (its ``host``, CONF.host by
    default)."""

    def __init__(self, host=None):
        self.host = host or CONF.host
        if not self.host:
            raise ValueError('a taskmanager claims as a host: set "host"')
        self._held = set()
        self._changed = threading.Condition()

    def acquire(self, instance_id, purpose, wait=0.0):
        """A context manager holding ``instance_id``'s claim for
        ``purpose`` (a word for logs: 'create', 'delete', ...); entering
        it raises ClaimHeld if the claim is not free within ``wait``
        seconds."""
        return Claim(self, instance_id, purpose, wait)

    def is_claimed(self, instance_id):
        """Whether a workflow holds the instance's claim now: one of this
        process, or one of a taskmanager whose lease holds."""
        with self._changed:
            if instance_id in self._held:
                return True
        owner = db.read(claim_rows.live_owner, instance_id,
                        CONF.taskmanager_lease_timeout)
        return owner is not None and owner != self.host

    def lapsed(self):
        """``(instance id, owner)`` of the claims whose owner is gone
        (its lease lapsed, or it was this host's previous process), which
        this process may take over."""
        found = db.read(claim_rows.lapsed, self.host,
                        CONF.taskmanager_lease_timeout)
        with self._changed:
            return [(instance_id, owner) for instance_id, owner in found
                    if instance_id not in self._held]

    def _take(self, instance_id, purpose, wait):
        """``(taken, host taken over from)``: first this process's lock,
        then the database row, trying again until ``wait`` is over."""
        deadline = time.monotonic() + wait
        with self._changed:
            while instance_id in self._held:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False, None
                self._changed.wait(remaining)
            self._held.add(instance_id)
        try:
            while True:
                taken, owner = _take_row(instance_id, self.host, purpose)
                if taken:
                    if owner is not None and owner != self.host:
                        LOG.warning('Claim on %s taken over from %s: its '
                                    'lease lapsed', instance_id, owner)
                    return True, owner
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    LOG.info('%s of %s: taskmanager %s holds the instance',
                             purpose, instance_id, owner)
                    self._forget(instance_id)
                    return False, None
                time.sleep(min(POLL_INTERVAL, remaining))
        except BaseException:
            self._forget(instance_id)
            raise

    def _release(self, instance_id):
        try:
            _release_row(instance_id, self.host)
        except Exception:
            # The row stays ours: this process takes it back when it needs
            # it, a peer once this host's lease lapses.
            LOG.exception('Could not release the claim on %s', instance_id)
        finally:
            self._forget(instance_id)

    def _forget(self, instance_id):
        with self._changed:
            self._held.discard(instance_id)
            self._changed.notify_all()
