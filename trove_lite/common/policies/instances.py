"""Rules of ``/instances`` and instance actions."""

from trove_lite.common.policies.base import ADMIN
from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import INSTANCE
from trove_lite.common.policies.base import INSTANCE_ACTION
from trove_lite.common.policies.base import INSTANCES
from trove_lite.common.policies.base import rule

rules = [
    rule('instance:create', ADMIN_OR_OWNER, 'Create an instance.',
         ('POST', INSTANCES)),
    rule('instance:delete', ADMIN_OR_OWNER, 'Delete an instance.',
         ('DELETE', INSTANCE)),
    rule('instance:force_delete', ADMIN_OR_OWNER,
         'Reset an instance\'s status in order to delete it (reset_status '
         'with force_delete).',
         ('POST', INSTANCE_ACTION + ' (reset_status)')),
    rule('instance:index', ADMIN_OR_OWNER, 'List instances.',
         ('GET', INSTANCES)),
    rule('instance:detail', ADMIN_OR_OWNER,
         'List instances with their details.',
         ('GET', INSTANCES + '/detail')),
    rule('instance:show', ADMIN_OR_OWNER, 'Show an instance.',
         ('GET', INSTANCE)),
    rule('instance:update', ADMIN_OR_OWNER,
         'Update an instance (name, configuration group, access); also '
         'checked when a create names a configuration group.',
         ('PUT', INSTANCE), ('POST', INSTANCES)),
    rule('instance:edit', ADMIN_OR_OWNER,
         'Change attributes of an instance (deprecated PATCH).',
         ('PATCH', INSTANCE)),
    rule('instance:restart', ADMIN_OR_OWNER,
         'Restart an instance\'s database.',
         ('POST', INSTANCE_ACTION + ' (restart)')),
    rule('instance:resize_volume', ADMIN_OR_OWNER,
         'Grow an instance\'s volume.',
         ('POST', INSTANCE_ACTION + ' (resize)')),
    rule('instance:resize_flavor', ADMIN_OR_OWNER,
         'Move an instance to another flavor.',
         ('POST', INSTANCE_ACTION + ' (resize)')),
    rule('instance:reset_status', ADMIN,
         'Reset an instance\'s task and service status.',
         ('POST', INSTANCE_ACTION + ' (reset_status)')),
    rule('instance:promote_to_replica_source', ADMIN_OR_OWNER,
         'Make a replica the source of its replica set.',
         ('POST', INSTANCE_ACTION + ' (promote_to_replica_source)')),
    rule('instance:eject_replica_source', ADMIN_OR_OWNER,
         'Remove the failed source of a replica set.',
         ('POST', INSTANCE_ACTION + ' (eject_replica_source)')),
    rule('instance:configuration', ADMIN_OR_OWNER,
         'Show the default configuration of an instance.',
         ('GET', INSTANCE + '/configuration')),
    rule('instance:guest_log_list', ADMIN_OR_OWNER,
         'List the logs of an instance, show one, enable, disable, '
         'publish or discard it.',
         ('GET', INSTANCE + '/log'), ('POST', INSTANCE + '/log')),
    rule('instance:backups', ADMIN_OR_OWNER,
         'List the backups of an instance.',
         ('GET', INSTANCE + '/backups')),
    rule('instance:module_list', ADMIN_OR_OWNER,
         'List the modules applied to an instance.',
         ('GET', INSTANCE + '/modules')),
    rule('instance:module_apply', ADMIN_OR_OWNER,
         'Apply modules to an instance; also checked when a create names '
         'modules.',
         ('POST', INSTANCE + '/modules'), ('POST', INSTANCES)),
    rule('instance:module_remove', ADMIN_OR_OWNER,
         'Remove a module from an instance.',
         ('DELETE', INSTANCE + '/modules/{module_id}')),
]
