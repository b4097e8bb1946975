"""Rules of an instance's ``/users``."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import INSTANCES
from trove_lite.common.policies.base import USER
from trove_lite.common.policies.base import USERS
from trove_lite.common.policies.base import rule

rules = [
    rule('instance:extension:user:create', ADMIN_OR_OWNER,
         'Create users on an instance; also checked when a create names '
         'users.',
         ('POST', USERS), ('POST', INSTANCES)),
    rule('instance:extension:user:delete', ADMIN_OR_OWNER,
         'Drop a user of an instance.', ('DELETE', USER)),
    rule('instance:extension:user:index', ADMIN_OR_OWNER,
         'List the users of an instance.', ('GET', USERS)),
    rule('instance:extension:user:show', ADMIN_OR_OWNER,
         'Show one user of an instance.', ('GET', USER)),
    rule('instance:extension:user:update', ADMIN_OR_OWNER,
         'Change the name, host or password of a user.', ('PUT', USER)),
    rule('instance:extension:user:update_all', ADMIN_OR_OWNER,
         'Change the passwords of several users.', ('PUT', USERS)),
]
