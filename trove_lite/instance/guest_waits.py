"""How many of the API's request threads may wait on the guests of one
project: at most ``api_guest_calls_per_project`` across every API worker
and host (each wait is bounded by ``api_guest_call_timeout``, see
instance.api.guest).

A guest is the tenant's: its datastore can be made slow at will (a
tenant's root holding FLUSH TABLES WITH READ LOCK blocks every account
statement). Without these bounds a handful of requests on such a guest
held every request thread of the API for minutes, and every other
project waited.

The places are rows in the database (db.repositories.guest_call_slots),
which every API process already shares, as the rate limits are: a cap
per process would allow N times the cap with N workers. Each place is a
lease, held for the longest a call can wait plus a margin: a worker that
dies while holding one (and so never gives it back) frees it when the
lease runs out. The cost is two short transactions per guest call of a
request.
"""

import contextlib
import functools
import logging
import uuid

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db import retry
from trove_lite.db.repositories import guest_call_slots

LOG = logging.getLogger(__name__)

# Seconds a lease outlasts api_guest_call_timeout: sending the call and
# handling its answer.
LEASE_MARGIN = 5


class ProjectWaits:
    """The requests waiting on each project's guests."""

    @contextlib.contextmanager
    def hold(self, project_id):
        """A place among the project's waiting requests for the block;
        GuestsBusy (413) when they are all taken."""
        holder = uuid.uuid4().hex
        if not self._take(project_id, holder):
            raise exceptions.GuestsBusy(
                project_id=project_id,
                retry_after=CONF.api_guest_call_timeout)
        try:
            yield
        finally:
            try:
                with db.transaction() as tx:
                    guest_call_slots.give_back(tx, project_id, holder)
            except Exception as error:
                # Its lease runs out by itself.
                LOG.warning('Place of a request of project %s not given '
                            'back: %s', project_id, error)

    @staticmethod
    @retry.retry_on_deadlock
    def _take(project_id, holder):
        with db.transaction() as tx:
            return guest_call_slots.take(
                tx, project_id, CONF.api_guest_calls_per_project, holder,
                CONF.api_guest_call_timeout + LEASE_MARGIN)

    def waiting(self, project_id):
        return db.read(guest_call_slots.held, project_id)


_WAITS = ProjectWaits()


def admission(project_id):
    """For guest_rpcapi.API(admission=...): each call a place among the
    requests waiting on ``project_id``'s guests."""
    return functools.partial(_WAITS.hold, project_id)
