"""Per-project API rate limits, held in the database so that they hold
across every API worker and host.

Each limit is a leaky bucket per project: a bucket holds ``unit`` seconds,
each request pours in ``unit / value`` seconds, and it drains one second per
second. A request that would overflow any bucket it matches is refused
with 413 ``overLimit`` and the wait in ``Retry-After``; a refused request
is not counted.

Trove keeps the buckets in each API process's memory, so N workers allow
N times the limit. Here they are rows of ``rate_limit_buckets``: every API
process of every host already shares the database (a shared cache such
as memcached would be one more service to run, and it loses counts when
it restarts). A count locks the rows of the limits it matches, so racing
requests of one project are counted one after the other, and time is the
database's clock, so API hosts whose clocks disagree count alike.

A transaction per request was the largest cost of a read (more than the
read itself), so a process counts a busy project's requests ahead, in
leases (``_Lease``): one transaction pours in the request at hand and as
many more as the process served of that project in the last
``LEASE_SECONDS``, and the process admits those without going to the
database until the lease is used up or ``LEASE_SECONDS`` old; what is
left of it then is dropped, never handed back. The bounds:

* no request is ever admitted that was not counted in the shared bucket,
  so the processes together never admit more than the bucket holds when
  it counts; a request may be admitted up to ``LEASE_SECONDS`` after it
  was counted, so over any span a project gets at most what the limit
  allows over that span plus ``LEASE_SECONDS`` (value / unit requests
  per second of it);
* a lease takes at most ``1 / LEASE_SHARE`` of what the bucket has left,
  so near a limit every request is counted on its own (a project making
  few requests is counted exactly, one request per transaction);
* leases left unused count against the project until they drain: at most
  ``1 / LEASE_SHARE`` of the bucket per process and per ``LEASE_SECONDS``.
"""

import dataclasses
import itertools
import math
import re
import threading
import time

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db import retry
from trove_lite.db.repositories import rate_limits

UNIT_NAMES = {1: 'SECOND', 60: 'MINUTE', 3600: 'HOUR', 86400: 'DAY'}

# Float sums of equal costs must not refuse the last allowed request.
_EPSILON = 1e-9

# Every this many requests, a process deletes the buckets that have
# drained empty (they hold nothing a new bucket would not).
_FORGET_DRAINED_EVERY = 1000

# How long requests counted ahead (a lease) may be admitted for, and the
# most one lease takes: requests, and the share of what a bucket has left.
LEASE_SECONDS = 1.0
LEASE_MOST = 100
LEASE_SHARE = 4


@dataclasses.dataclass(frozen=True)
class Limit:
    """``value`` requests of ``verb`` per ``unit`` seconds to paths (the
    part after ``/v1.0/{project}``) matching ``regex``; ``uri`` is the
    human-readable form."""

    verb: str
    uri: str
    regex: str
    value: int
    unit: int = 60

    @property
    def unit_name(self):
        return UNIT_NAMES[self.unit]

    @property
    def cost(self):
        return self.unit / self.value

    @property
    def key(self):
        """The name of its buckets in the database."""
        return f'{self.verb} {self.uri}'

    def applies_to(self, verb, path):
        return verb == self.verb and re.match(self.regex, path) is not None

    def error_message(self):
        return (f'Only {self.value} {self.verb} request(s) can be made to '
                f'{self.uri} every {self.unit_name.lower()}.')


def default_limits():
    """Trove's limits, with the rates from the config."""
    return [
        Limit('POST', '*', '.*', CONF.http_post_rate),
        Limit('PUT', '*', '.*', CONF.http_put_rate),
        Limit('DELETE', '*', '.*', CONF.http_delete_rate),
        Limit('GET', '*', '.*', CONF.http_get_rate),
        Limit('POST', '*/mgmt', '^/mgmt', CONF.http_mgmt_post_rate),
    ]


class _Bucket:
    """The level of one limit for one project, drained to ``now``."""

    def __init__(self, limit, stored, now):
        self.limit = limit
        level, updated = stored or (0.0, None)
        # A racing process may have stored a time a moment later than
        # this one's ``now``: that drains nothing, never adds.
        drained = 0.0 if updated is None else max(0.0, now - updated)
        self.level = max(0.0, level - drained)

    def overflow(self):
        """Seconds until one more request fits (0 when it fits now)."""
        excess = self.level + self.limit.cost - self.limit.unit
        return excess if excess > _EPSILON else 0.0

    def remaining(self):
        return math.floor(
            (self.limit.unit - self.level) / self.limit.cost + _EPSILON)


class _Lease:
    """Requests of one project counted ahead against the limits they
    match: the process admits ``left`` more of them until ``expires``."""

    def __init__(self, size, now):
        self.size = size
        self.left = size - 1  # the first is the request that took it
        self.granted = now
        self.expires = now + LEASE_SECONDS

    def take(self, now):
        """Admit one request on the lease, if it has one left."""
        if self.left > 0 and now < self.expires:
            self.left -= 1
            return True
        return False

    def next_size(self, now):
        """How many requests the next lease should count: as many as
        this one served per LEASE_SECONDS, at most twice its size (a
        short burst does not take a large lease)."""
        used = self.size - self.left
        elapsed = max(now - self.granted, 1e-6)
        return max(1, min(LEASE_MOST, 2 * self.size,
                          math.ceil(used * LEASE_SECONDS / elapsed)))


# Past this many leases, a process forgets those that expired.
_LEASES_KEPT = 10000


class Limiter:
    """The rate limits of every project, counted in the database;
    ``clock`` (epoch seconds) replaces the database's clock, and the
    clock leases age by, in tests."""

    def __init__(self, limits, clock=None):
        self.limits = list(limits)
        self.clock = clock
        self._checks = itertools.count(1)
        self._leases = {}
        self._leases_lock = threading.Lock()

    def _now(self, conn):
        return self.clock() if self.clock else rate_limits.now(conn)

    def _local_now(self):
        return self.clock() if self.clock else time.monotonic()

    def check(self, project_id, verb, path):
        """Count the request, or raise RateLimited without counting it."""
        matching = [limit for limit in self.limits
                    if limit.applies_to(verb, path)]
        if not matching:
            return
        keys = [limit.key for limit in matching]
        lease_key = (project_id, *keys)
        now = self._local_now()
        with self._leases_lock:
            lease = self._leases.get(lease_key)
            if lease is not None and lease.take(now):
                return
        wanted = 1 if lease is None else lease.next_size(now)
        # A bucket deleted as drained between the two transactions is
        # created again; twice in a row is not a race but a fault.
        for _ in range(3):
            counted = self._count(project_id, matching, wanted)
            if counted:
                break
            with db.transaction() as tx:
                rate_limits.create_missing(tx, project_id, keys)
        else:
            raise RuntimeError(f'rate limit buckets of {project_id} vanish')
        with self._leases_lock:
            if len(self._leases) >= _LEASES_KEPT:
                self._leases = {key: kept for key, kept
                                in self._leases.items()
                                if kept.expires > now}
            self._leases[lease_key] = _Lease(counted, now)
        if next(self._checks) % _FORGET_DRAINED_EVERY == 0:
            self.forget_drained()

    @retry.retry_on_deadlock
    def _count(self, project_id, matching, wanted):
        """Count the request, and up to ``wanted - 1`` more ahead, against
        ``matching`` in one transaction; returns how many were counted, 0
        (nothing counted) when a bucket is not stored yet."""
        with db.transaction() as tx:
            stored = rate_limits.lock_levels(
                tx, project_id, [limit.key for limit in matching])
            if len(stored) < len(matching):
                return 0
            # Read after the lock: the newest time of any racing request.
            now = self._now(tx)
            buckets = [_Bucket(limit, stored[limit.key], now)
                       for limit in matching]
            refusals = [(bucket.overflow(), bucket) for bucket in buckets
                        if bucket.overflow()]
            if refusals:
                wait, bucket = max(refusals, key=lambda item: item[0])
                raise exceptions.RateLimited(
                    details=bucket.limit.error_message(),
                    retry_after=math.ceil(wait))
            counted = 1 + min([wanted - 1] + [
                (bucket.remaining() - 1) // LEASE_SHARE
                for bucket in buckets])
            rate_limits.save(tx, project_id,
                             {bucket.limit.key:
                              bucket.level + counted * bucket.limit.cost
                              for bucket in buckets}, now)
        return counted

    @retry.retry_on_deadlock
    def forget_drained(self):
        """Delete every bucket that has drained empty."""
        with db.transaction() as tx:
            return rate_limits.forget_drained(tx, self._now(tx))

    def status(self, project_id):
        """The state of each limit for the project, for ``/limits``:
        dicts with ``limit``, ``remaining`` and ``next_available`` (epoch
        seconds when one more request fits)."""
        with db.transaction() as tx:
            stored = rate_limits.levels(tx, project_id)
            now = self._now(tx)
        result = []
        for limit in self.limits:
            bucket = _Bucket(limit, stored.get(limit.key), now)
            result.append({'limit': limit, 'remaining': bucket.remaining(),
                           'next_available': now + bucket.overflow()})
        return result


_LIMITER = None
_LIMITER_LOCK = threading.Lock()


def get_limiter():
    """This process's limiter, built from the config on first use."""
    global _LIMITER
    with _LIMITER_LOCK:
        if _LIMITER is None:
            _LIMITER = Limiter(default_limits())
    return _LIMITER


def reset():
    """Re-read the rates (tests)."""
    global _LIMITER
    with _LIMITER_LOCK:
        _LIMITER = None
