"""Options of the control-plane database ([database] as in oslo.db)."""

from oslo_config import cfg

database_group = cfg.OptGroup('database', title='Control-plane database')

database_opts = [
    cfg.StrOpt('connection', secret=True,
               default='mysql+pymysql://root@127.0.0.1/trove_lite',
               help='SQLAlchemy URL of the control-plane database.'),
    cfg.IntOpt('max_pool_size', default=10, min=1,
               help='Connections kept open per process and engine (a '
                    'process has two: transactions, and single '
                    'autocommitted statements); threads beyond it wait for '
                    'a free one.'),
    cfg.IntOpt('connection_recycle_time', default=3600, min=1,
               help='Seconds after which a pooled connection is renewed.'),
    cfg.IntOpt('max_retries', default=10, min=0,
               help='Times a service retries a write that failed because '
                    'the database was unreachable.'),
    cfg.FloatOpt('retry_interval', default=1.0, min=0,
                 help='Seconds between those retries.'),
]


def register_opts(conf):
    conf.register_group(database_group)
    conf.register_opts(database_opts, group=database_group)


def list_opts():
    return [(database_group, database_opts)]
