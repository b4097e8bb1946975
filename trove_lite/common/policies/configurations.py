"""Rules of ``/configurations`` (configuration groups)."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import CONFIGURATION
from trove_lite.common.policies.base import CONFIGURATIONS
from trove_lite.common.policies.base import rule

rules = [
    rule('configuration:create', ADMIN_OR_OWNER,
         'Create a configuration group.', ('POST', CONFIGURATIONS)),
    rule('configuration:delete', ADMIN_OR_OWNER,
         'Delete a configuration group.', ('DELETE', CONFIGURATION)),
    rule('configuration:index', ADMIN_OR_OWNER,
         'List configuration groups.', ('GET', CONFIGURATIONS)),
    rule('configuration:show', ADMIN_OR_OWNER,
         'Show a configuration group.', ('GET', CONFIGURATION)),
    rule('configuration:instances', ADMIN_OR_OWNER,
         'List the instances a configuration group is attached to.',
         ('GET', CONFIGURATION + '/instances')),
    rule('configuration:update', ADMIN_OR_OWNER,
         'Replace the values of a configuration group.',
         ('PUT', CONFIGURATION)),
    rule('configuration:edit', ADMIN_OR_OWNER,
         'Merge values into a configuration group.',
         ('PATCH', CONFIGURATION)),
]
