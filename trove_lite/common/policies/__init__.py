"""Every policy rule of trove-lite with its default (Trove's names).

Listed for the enforcer and for ``oslopolicy-sample-generator`` through
the ``oslo.policy.policies`` entry point.
"""

from trove_lite.common.policies import backups
from trove_lite.common.policies import base
from trove_lite.common.policies import clusters
from trove_lite.common.policies import configuration_parameters
from trove_lite.common.policies import configurations
from trove_lite.common.policies import databases
from trove_lite.common.policies import datastores
from trove_lite.common.policies import flavors
from trove_lite.common.policies import instances
from trove_lite.common.policies import limits
from trove_lite.common.policies import modules
from trove_lite.common.policies import root
from trove_lite.common.policies import user_access
from trove_lite.common.policies import users

_MODULES = (base, instances, root, users, user_access, databases, clusters,
            backups, configurations, configuration_parameters, datastores,
            flavors, limits, modules)


def list_rules():
    return [rule for module in _MODULES for rule in module.rules]
