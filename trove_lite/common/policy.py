"""Policy enforcement with oslo.policy and Trove's rules.

A controller makes one call per request, after it has loaded the object it
acts on::

    policy.authorize(context, 'instance:show', {'tenant': record.tenant_id})

Without a target the object belongs to the caller's project (list and
create calls). Operators override defaults in ``policy.yaml`` (option
``[oslo_policy] policy_file``); the file is re-read when it changes.
"""

import threading

from oslo_policy import policy as oslo_policy

from trove_lite.common import exceptions
from trove_lite.common import policies
from trove_lite.conf import CONF

_ENFORCER = None
_LOCK = threading.Lock()


def get_enforcer():
    """The process's enforcer with every rule registered (also the
    ``oslo.policy.enforcer`` entry point for oslopolicy-* tools)."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is None:
            enforcer = oslo_policy.Enforcer(CONF)
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
