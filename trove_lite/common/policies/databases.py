"""Rules of an instance's ``/databases``."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import DATABASE
from trove_lite.common.policies.base import DATABASES
from trove_lite.common.policies.base import INSTANCES
from trove_lite.common.policies.base import rule

rules = [
    rule('instance:extension:database:create', ADMIN_OR_OWNER,
         'Create databases on an instance; also checked when a create '
         'names databases.',
         ('POST', DATABASES), ('POST', INSTANCES)),
    rule('instance:extension:database:delete', ADMIN_OR_OWNER,
         'Drop a database of an instance.', ('DELETE', DATABASE)),
    rule('instance:extension:database:index', ADMIN_OR_OWNER,
         'List the databases of an instance.', ('GET', DATABASES)),
    rule('instance:extension:database:show', ADMIN_OR_OWNER,
         'Show one database of an instance (not implemented by the API).',
         ('GET', DATABASE)),
]
