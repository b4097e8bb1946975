"""Rules of ``/flavors`` (open to every authenticated caller)."""

from trove_lite.common.policies.base import ANYONE
from trove_lite.common.policies.base import FLAVORS
from trove_lite.common.policies.base import rule

rules = [
    rule('flavor:index', ANYONE, 'List flavors.', ('GET', FLAVORS)),
    rule('flavor:show', ANYONE, 'Show a flavor.',
         ('GET', FLAVORS + '/{flavor}')),
]
