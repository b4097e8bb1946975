"""Rules of ``/modules``."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import MODULE
from trove_lite.common.policies.base import MODULES
from trove_lite.common.policies.base import rule

rules = [
    rule('module:create', ADMIN_OR_OWNER, 'Create a module.',
         ('POST', MODULES)),
    rule('module:delete', ADMIN_OR_OWNER, 'Delete a module.',
         ('DELETE', MODULE)),
    rule('module:index', ADMIN_OR_OWNER, 'List modules.', ('GET', MODULES)),
    rule('module:show', ADMIN_OR_OWNER, 'Show a module.', ('GET', MODULE)),
    rule('module:instances', ADMIN_OR_OWNER,
         'List the instances a module is applied to.',
         ('GET', MODULE + '/instances')),
    rule('module:update', ADMIN_OR_OWNER, 'Update a module.',
         ('PUT', MODULE)),
    rule('module:reapply', ADMIN_OR_OWNER,
         'Apply a module again to its instances.',
         ('PUT', MODULE + '/instances')),
]
