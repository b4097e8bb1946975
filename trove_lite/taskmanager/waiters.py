"""Waiting for a guest's status without polling blindly.

The conductor casts ``guest_status_changed`` when a heartbeat changes an
instance's status; that wakes the waiter at once. A slow check every
``usage_sleep_time`` seconds covers a wake-up lost to a restart.
"""

import threading
import time

from trove_lite import db
from trove_lite.db.repositories import heartbeats


class GuestStatusWaiters:
    """Per-instance events the conductor's fanout casts set."""

    def __init__(self):
        self._events = {}
        self._lock = threading.Lock()

    def wake(self, instance_id):
        with self._lock:
            event = self._events.get(instance_id)
        if event is not None:
            event.set()

    def wait(self, instance_id, is_done, timeout, check_interval):
        """Wait until ``is_done(status)`` returns True (it may raise to
        abort); returns the final status, or None on timeout."""
        event = threading.Event()
        with self._lock:
            self._events[instance_id] = event
        try:
            deadline = time.monotonic() + timeout
            while True:
                event.clear()
                status = db.read(heartbeats.service_status, instance_id)
                if status is not None and is_done(status):
                    return status
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                event.wait(min(check_interval, remaining))
        finally:
            with self._lock:
                if self._events.get(instance_id) is event:
                    del self._events[instance_id]

    def wait_for_report(self, instance_id, sent, timeout, check_interval):
        """Wait until the conductor has applied the guest's heartbeat sent
        at ``sent`` (or a newer one); returns the service status then, or
        None on timeout."""
        def applied(_status):
            seen = db.read(heartbeats.lastseen, instance_id)
            return seen is not None and seen >= sent

        return self.wait(instance_id, applied, timeout, check_interval)
