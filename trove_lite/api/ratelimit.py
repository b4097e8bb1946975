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
it restarts). A request locks the rows of the limits it matches, so
racing requests of one project are counted one after the other, and
time is the database's clock, so API hosts whose clocks disagree count
alike. The cost is one short transaction per project request.
"""

import dataclasses
import itertools
import math
import re
import threading

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


class Limiter:
    """The rate limits of every project, counted in the database;
    ``clock`` (epoch seconds) replaces the database's clock in tests."""

    def __init__(self, limits, clock=None):
        self.limits = list(limits)
        self.clock = clock
        self._checks = itertools.count(1)

    def _now(self, conn):
        return self.clock() if self.clock else rate_limits.now(conn)

    def check(self, project_id, verb, path):
        """Count the request, or raise RateLimited without counting it."""
        matching = [limit for limit in self.limits
                    if limit.applies_to(verb, path)]
        if not matching:
            return
        keys = [limit.key for limit in matching]
        # A bucket deleted as drained between the two transactions is
        # created again; twice in a row is not a race but a fault.
        for _ in range(3):
            if self._count(project_id, matching):
                break
            with db.transaction() as tx:
                rate_limits.create_missing(tx, project_id, keys)
        else:
            raise RuntimeError(f'rate limit buckets of {project_id} vanish')
        if next(self._checks) % _FORGET_DRAINED_EVERY == 0:
            self.forget_drained()

    @retry.retry_on_deadlock
    def _count(self, project_id, matching):
        """Count the request against ``matching`` in one transaction;
        False (nothing counted) when a bucket is not stored yet."""
        with db.transaction() as tx:
            stored = rate_limits.lock_levels(
                tx, project_id, [limit.key for limit in matching])
            if len(stored) < len(matching):
                return False
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
            rate_limits.save(tx, project_id,
                             {bucket.limit.key:
                              bucket.level + bucket.limit.cost
                              for bucket in buckets}, now)
        return True

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
