"""The rules every other rule builds on, and the paths rules document.

Rule names and default check strings are Trove's, so a ``policy.yaml``
written for Trove works unchanged. The target of every check is
``{'tenant': <project owning the object>}``.
"""

from oslo_policy import policy

# Registers the checks the rules below are parsed with.
from trove_lite.common import policy_checks  # noqa: F401

ADMIN = 'rule:admin'
ADMIN_OR_OWNER = 'rule:admin_or_owner'
ANYONE = ''

PROJECT = '/v1.0/{account_id}'
INSTANCES = PROJECT + '/instances'
INSTANCE = INSTANCES + '/{instance_id}'
INSTANCE_ACTION = INSTANCE + '/action'
DATABASES = INSTANCE + '/databases'
DATABASE = DATABASES + '/{database}'
USERS = INSTANCE + '/users'
USER = USERS + '/{user}'
USER_DATABASES = USER + '/databases'
USER_DATABASE = USER_DATABASES + '/{database}'
CLUSTERS = PROJECT + '/clusters'
CLUSTER = CLUSTERS + '/{cluster}'
BACKUPS = PROJECT + '/backups'
BACKUP = BACKUPS + '/{backup}'
BACKUP_STRATEGIES = PROJECT + '/backup_strategies'
CONFIGURATIONS = PROJECT + '/configurations'
CONFIGURATION = CONFIGURATIONS + '/{config}'
DATASTORES = PROJECT + '/datastores'
DATASTORE = DATASTORES + '/{datastore}'
DATASTORE_VERSIONS = DATASTORES + '/versions'
FLAVORS = PROJECT + '/flavors'
MODULES = PROJECT + '/modules'
MODULE = MODULES + '/{module}'


def rule(name, check_str, description, *operations):
    """A documented rule; ``operations`` are the (method, path) pairs of
    the API calls it guards."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{'method': method, 'path': path}
                    for method, path in operations])


rules = [
    policy.RuleDefault(
        'context_is_admin', 'role:admin',
        description='Who the API treats as a cloud administrator (admin '
                    'views, other projects\' objects, management calls).'),
    policy.RuleDefault(
        'admin', 'role:admin or is_admin:True',
        description='The caller is an administrator.'),
    policy.RuleDefault(
        'admin_or_owner', 'rule:admin or project_id:%(tenant)s',
        description='The caller is an administrator or belongs to the '
                    'project that owns the object.'),
    policy.RuleDefault(
        'default', 'rule:admin_or_owner',
        description='Rule for any action without a rule of its own.'),
]
