"""The per-instance claim: at most one workflow works on an instance.

Every taskmanager workflow (create, delete, restart, resize, and the
housekeeping that finishes or fails left-over work) runs inside::

    with claims.acquire(instance_id, 'delete', wait=300) as claim:
        ...

which takes the instance's claim (waiting up to ``wait`` seconds for the
workflow holding it), and releases it when the block ends, however it
ends. A claim that is not free in time raises ``ClaimHeld`` before the
block runs, so a caller handles "someone else is on it" in one place.

Work that must outlive the block (a wait handed to a thread of its own)
is passed to ``claim.continue_in_thread``: the thread starts when the
block ends and the claim is released only when the thread has finished,
as Ironic's ``task.spawn_after`` does.

This implementation holds the claims of this process in memory. The
interface (``acquire``, ``is_claimed``) is what callers use, so the claim
can become a lease in the database, shared by several taskmanagers,
without changing them.
"""

import logging
import threading
import time

LOG = logging.getLogger(__name__)


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

    def __enter__(self):
        if not self._claims._take(self.instance_id, self._wait):
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


class Claims:
    """The claims of this taskmanager process."""

    def __init__(self):
        self._held = set()
        self._changed = threading.Condition()

    def acquire(self, instance_id, purpose, wait=0.0):
        """A context manager holding ``instance_id``'s claim for
        ``purpose`` (a word for logs: 'create', 'delete', ...); entering
        it raises ClaimHeld if the claim is not free within ``wait``
        seconds."""
        return Claim(self, instance_id, purpose, wait)

    def is_claimed(self, instance_id):
        """Whether any workflow holds the instance's claim now."""
        with self._changed:
            return instance_id in self._held

    def _take(self, instance_id, wait):
        deadline = time.monotonic() + wait
        with self._changed:
            while instance_id in self._held:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            self._held.add(instance_id)
            return True

    def _release(self, instance_id):
        with self._changed:
            self._held.discard(instance_id)
            self._changed.notify_all()
