"""Rules of ``/backups`` and ``/backup_strategies``."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import BACKUP
from trove_lite.common.policies.base import BACKUP_STRATEGIES
from trove_lite.common.policies.base import BACKUPS
from trove_lite.common.policies.base import rule

rules = [
    rule('backup:create', ADMIN_OR_OWNER, 'Create a backup.',
         ('POST', BACKUPS)),
    rule('backup:delete', ADMIN_OR_OWNER, 'Delete a backup.',
         ('DELETE', BACKUP)),
    rule('backup:index', ADMIN_OR_OWNER, 'List backups.',
         ('GET', BACKUPS)),
    rule('backup:index:all_projects', 'role:admin',
         'List the backups of every project (or of a given one).',
         ('GET', BACKUPS)),
    rule('backup:show', ADMIN_OR_OWNER, 'Show a backup.',
         ('GET', BACKUP)),
    rule('backup_strategy:create', ADMIN_OR_OWNER,
         'Create a backup strategy.', ('POST', BACKUP_STRATEGIES)),
    rule('backup_strategy:index', ADMIN_OR_OWNER,
         'List backup strategies.', ('GET', BACKUP_STRATEGIES)),
    rule('backup_strategy:delete', ADMIN_OR_OWNER,
         'Delete a backup strategy.', ('DELETE', BACKUP_STRATEGIES)),
]
