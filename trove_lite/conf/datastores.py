"""Per-datastore-manager options ([mysql], [mariadb]) with Trove's names."""

from oslo_config import cfg

MANAGERS = ('mysql', 'mariadb')

RESERVED_USERS = ['os_admin', 'root']
RESERVED_DATABASES = ['mysql', 'information_schema', 'performance_schema',
                      'sys']


def _datastore_opts():
    return [
        cfg.ListOpt('ignore_users', default=list(RESERVED_USERS),
                    help='Users tenants can neither see nor create.'),
        cfg.ListOpt('ignore_dbs', default=list(RESERVED_DATABASES),
                    help='Databases tenants can neither see nor create.'),
        cfg.BoolOpt('volume_support', default=True,
                    help='Whether a create request must give a volume.'),
        cfg.BoolOpt('root_on_create', default=False,
                    help='Enable root at create and return its password '
                         'once in the create response.'),
        cfg.PortOpt('port', default=3306,
                    help='Port the datastore listens on.'),
        cfg.IntOpt('usage_timeout', default=400, min=1,
                   help='Seconds to wait for a new guest of this datastore '
                        'to report healthy (overrides the DEFAULT '
                        'usage_timeout, as in Trove).'),
    ]


def register_opts(conf):
    for manager in MANAGERS:
        conf.register_opts(_datastore_opts(), group=manager)


def list_opts():
    return [(manager, _datastore_opts()) for manager in MANAGERS]
