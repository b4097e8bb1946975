"""How many of the API's request threads may wait on the guests of one
project: at most ``api_guest_calls_per_project`` per worker process (each
wait is bounded by ``api_guest_call_timeout``, see instance.api.guest).

A guest is the tenant's: its datastore can be made slow at will (a
tenant's root holding FLUSH TABLES WITH READ LOCK blocks every account
statement). Without these bounds a handful of requests on such a guest
held every request thread of the API for minutes, and every other
project waited.
"""

import collections
import contextlib
import functools
import threading

from trove_lite.common import exceptions
from trove_lite.conf import CONF


class ProjectWaits:
    """Counts of the requests waiting on each project's guests."""

    def __init__(self):
        self._waiting = collections.Counter()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, project_id):
        """A place among the project's waiting requests for the block;
        GuestsBusy (413) when they are all taken."""
        with self._lock:
            if self._waiting[project_id] >= CONF.api_guest_calls_per_project:
                raise exceptions.GuestsBusy(
                    project_id=project_id,
                    retry_after=CONF.api_guest_call_timeout)
            self._waiting[project_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting[project_id] -= 1
                if not self._waiting[project_id]:
                    del self._waiting[project_id]

    def waiting(self, project_id):
        with self._lock:
            return self._waiting[project_id]


_WAITS = ProjectWaits()


def admission(project_id):
    """For guest_rpcapi.API(admission=...): each call a place among the
    requests waiting on ``project_id``'s guests in this process."""
    return functools.partial(_WAITS.hold, project_id)
