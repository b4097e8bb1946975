"""Rules of ``/clusters``."""

from trove_lite.common.policies.base import ADMIN
from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import CLUSTER
from trove_lite.common.policies.base import CLUSTERS
from trove_lite.common.policies.base import rule

rules = [
    rule('cluster:create', ADMIN_OR_OWNER, 'Create a cluster.',
         ('POST', CLUSTERS)),
    rule('cluster:delete', ADMIN_OR_OWNER, 'Delete a cluster.',
         ('DELETE', CLUSTER)),
    rule('cluster:force_delete', ADMIN_OR_OWNER,
         'Reset a cluster\'s status in order to delete it.',
         ('POST', CLUSTER + ' (reset-status)')),
    rule('cluster:index', ADMIN_OR_OWNER, 'List clusters.',
         ('GET', CLUSTERS)),
    rule('cluster:show', ADMIN_OR_OWNER, 'Show a cluster.',
         ('GET', CLUSTER)),
    rule('cluster:show_instance', ADMIN_OR_OWNER,
         'Show an instance of a cluster.',
         ('GET', CLUSTER + '/instances/{instance}')),
    rule('cluster:action', ADMIN_OR_OWNER,
         'Run an action on a cluster (grow, shrink, upgrade).',
         ('POST', CLUSTER)),
    rule('cluster:reset-status', ADMIN,
         'Reset a cluster\'s task status.',
         ('POST', CLUSTER + ' (reset-status)')),
]
