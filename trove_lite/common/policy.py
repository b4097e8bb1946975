"""Policy enforcement with oslo.policy and Trove's rules.

A controller makes one call per request, after it has loaded the object it
acts on::

    policy.authorize(context, 'instance:show', {'tenant': record.tenant_id})

Without a target the object belongs to the caller's project (list and
create calls). Operators override defaults in ``policy.yaml`` (option
``[oslo_policy] policy_file``); the file is re-read within a second of a
change.
"""

import functools
import inspect
import threading
import time

from oslo_policy import _checks
from oslo_policy import policy as oslo_policy

from trove_lite.common import exceptions
from trove_lite.common import policies
from trove_lite.common.context import ALL_PROJECTS
from trove_lite.conf import CONF

_ENFORCER = None
_LOCK = threading.Lock()

# How often the policy files are looked at for changes.
RELOAD_INTERVAL = 1.0


class Enforcer(oslo_policy.Enforcer):
    """oslo.policy's enforcer, looking for changed policy files at most
    once per RELOAD_INTERVAL instead of before every check (the look costs
    more than the check and doubled the time of a request)."""

    _looked_at = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if force_reload or self._looked_at is None or \
                now - self._looked_at >= RELOAD_INTERVAL:
            super().load_rules(force_reload)
            self._looked_at = now


class _CachedArgspecs:
    """Stands in for ``inspect`` inside oslo_policy._checks, whose
    ``_check()`` inspects the signature of a check's ``__call__`` at every
    evaluation (a rule like admin_or_owner evaluates five checks); the
    signatures never change at run time. Halves the cost of a check."""

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def _argspec(function):
        return inspect.getfullargspec(function)

    def getfullargspec(self, method):
        # A bound method is a new object at every access; its function
        # is stable and has the same argspec.
        return self._argspec(getattr(method, '__func__', method))

    def __getattr__(self, name):
        return getattr(inspect, name)


def get_enforcer():
    """The process's enforcer with every rule registered (also the
    ``oslo.policy.enforcer`` entry point for oslopolicy-* tools)."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is None:
            _checks.inspect = _CachedArgspecs()
            enforcer = Enforcer(CONF)
            enforcer.register_defaults(policies.list_rules())
            _ENFORCER = enforcer
    return _ENFORCER


def reset():
    """Forget the enforcer (tests, or after the config changed)."""
    global _ENFORCER
    with _LOCK:
        _ENFORCER = None


def authorize(context, rule, target=None):
    """Raise PolicyNotAuthorized (403) unless ``rule`` allows the caller
    to act on ``target``, ``{'tenant': <project owning the object>}``."""
    get_enforcer().authorize(
        rule, target or {'tenant': context.project_id}, context,
        do_raise=True, exc=exceptions.PolicyNotAuthorized, action=rule)


def check_is_admin(context):
    """Whether the caller is a cloud administrator (``context_is_admin``)."""
    return get_enforcer().authorize(
        'context_is_admin', {'tenant': context.project_id}, context,
        do_raise=False)


def visible_projects(context, project):
    """The projects whose objects the caller may see where ``project``'s
    are asked for: every project (the explicit ``ALL_PROJECTS``) for
    an admin, else ``project`` itself."""
    return ALL_PROJECTS if context.is_admin else project
