"""Rules of a user's database access (``/users/{user}/databases``)."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import USER_DATABASE
from trove_lite.common.policies.base import USER_DATABASES
from trove_lite.common.policies.base import rule

rules = [
    rule('instance:extension:user_access:update', ADMIN_OR_OWNER,
         'Grant a user access to databases.', ('PUT', USER_DATABASES)),
    rule('instance:extension:user_access:delete', ADMIN_OR_OWNER,
         'Revoke a user\'s access to a database.',
         ('DELETE', USER_DATABASE)),
    rule('instance:extension:user_access:index', ADMIN_OR_OWNER,
         'List the databases a user can access.', ('GET', USER_DATABASES)),
]
