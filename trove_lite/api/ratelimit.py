"""Per-project API rate limits, kept in memory as Trove keeps them.

Each limit is a leaky bucket per project: a bucket holds ``unit`` seconds,
each request pours in ``unit / value`` seconds, and it drains one second per
second. A request that would overflow any bucket it matches is refused
with 413 ``overLimit`` and the wait in ``Retry-After``; a refused request
is not counted.

The state lives in the API worker process. With ``trove_api_workers`` > 1
a project can make up to that many times the configured rate, depending
on how the kernel spreads connections over the workers; Trove's limiter
has the same property. The limits protect the API from a runaway client;
they are not an exact budget.
"""

import dataclasses
import math
import re
import threading
import time

from trove_lite.common import exceptions
from trove_lite.conf import CONF

UNIT_NAMES = {1: 'SECOND', 60: 'MINUTE', 3600: 'HOUR', 86400: 'DAY'}

# Float sums of equal costs must not refuse the last allowed request.
_EPSILON = 1e-9

# Past this many projects, idle ones are forgotten (their buckets are
# empty, so forgetting them changes nothing).
_MAX_IDLE_PROJECTS = 10000


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
    """The level of one limit for one project."""

    def __init__(self, limit):
        self.limit = limit
        self.level = 0.0
        self.updated = None

    def drain(self, now):
        if self.updated is not None:
            self.level = max(0.0, self.level - (now - self.updated))
        self.updated = now

    def overflow(self):
        """Seconds until one more request fits (0 when it fits now)."""
        excess = self.level + self.limit.cost - self.limit.unit
        return excess if excess > _EPSILON else 0.0

    def remaining(self):
        return math.floor(
            (self.limit.unit - self.level) / self.limit.cost + _EPSILON)


class Limiter:
    """The buckets of every project seen by this process."""

    def __init__(self, limits, clock=time.time):
        self.limits = list(limits)
        self.clock = clock
        self._buckets = {}
        self._lock = threading.Lock()

    def _project_buckets(self, project_id, now):
        buckets = self._buckets.get(project_id)
        if buckets is None:
            if len(self._buckets) >= _MAX_IDLE_PROJECTS:
                self._forget_idle(now)
            buckets = self._buckets[project_id] = [
                _Bucket(limit) for limit in self.limits]
        for bucket in buckets:
            bucket.drain(now)
        return buckets

    def _forget_idle(self, now):
        for project_id, buckets in list(self._buckets.items()):
            for bucket in buckets:
                bucket.drain(now)
            if all(bucket.level == 0.0 for bucket in buckets):
                del self._buckets[project_id]

    def check(self, project_id, verb, path):
        """Count the request, or raise RateLimited without counting it."""
        with self._lock:
            now = self.clock()
            matching = [bucket for bucket in
                        self._project_buckets(project_id, now)
                        if bucket.limit.applies_to(verb, path)]
            waits = [(bucket.overflow(), bucket) for bucket in matching]
            refusals = [(wait, bucket) for wait, bucket in waits if wait]
            if refusals:
                wait, bucket = max(refusals, key=lambda item: item[0])
                raise exceptions.RateLimited(
                    details=bucket.limit.error_message(),
                    retry_after=math.ceil(wait))
            for bucket in matching:
                bucket.level += bucket.limit.cost

    def status(self, project_id):
        """The state of each limit for the project, for ``/limits``:
        dicts with ``limit``, ``remaining`` and ``next_available`` (epoch
        seconds when one more request fits)."""
        with self._lock:
            now = self.clock()
            return [{'limit': bucket.limit,
                     'remaining': bucket.remaining(),
                     'next_available': now + bucket.overflow()}
                    for bucket in self._project_buckets(project_id, now)]


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
    """Forget every bucket and re-read the rates (tests)."""
    global _LIMITER
    with _LIMITER_LOCK:
        _LIMITER = None
