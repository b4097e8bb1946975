"""Rules of the root user of instances and clusters (``/root``)."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import CLUSTER
from trove_lite.common.policies.base import INSTANCE
from trove_lite.common.policies.base import rule

rules = [
    rule('instance:extension:root:create', ADMIN_OR_OWNER,
         'Enable root on an instance.', ('POST', INSTANCE + '/root')),
    rule('instance:extension:root:delete', ADMIN_OR_OWNER,
         'Disable root on an instance.', ('DELETE', INSTANCE + '/root')),
    rule('instance:extension:root:index', ADMIN_OR_OWNER,
         'Show whether root was ever enabled on an instance.',
         ('GET', INSTANCE + '/root')),
    rule('cluster:extension:root:create', ADMIN_OR_OWNER,
         'Enable root on the instances of a cluster.',
         ('POST', CLUSTER + '/root')),
    rule('cluster:extension:root:delete', ADMIN_OR_OWNER,
         'Disable root on the instances of a cluster.',
         ('DELETE', CLUSTER + '/root')),
    rule('cluster:extension:root:index', ADMIN_OR_OWNER,
         'Show whether root was ever enabled on a cluster.',
         ('GET', CLUSTER + '/root')),
]
