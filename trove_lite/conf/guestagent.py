"""Options read by the guest agent (written into each guest by the compute
driver, like cloud-init writes guest_info.conf in a VM)."""

from oslo_config import cfg

guest_info_opts = [
    cfg.StrOpt('guest_id', help='ID of the instance this guest serves.'),
    cfg.StrOpt('datastore_manager',
               help='Datastore manager the guest runs (mysql, mariadb).'),
    cfg.StrOpt('datastore_version',
               help='Datastore version name the guest runs.'),
    cfg.BoolOpt('restore_pending', default=False,
                help='Set for an instance built from a backup: the agent '
                     'does not start the datastore before prepare, which '
                     'replaces its data first.'),
    cfg.StrOpt('instance_rpc_encr_key', secret=True,
               help='This instance\'s key: the guest accepts only messages '
                    'sealed with it and seals its reports with it (unset: '
                    'messages in the clear).'),
]

guest_group = cfg.OptGroup('guest_agent', title='Guest agent')

guest_agent_opts = [
    cfg.StrOpt('sandbox_path',
               help='Root of this guest\'s files (datadir, socket, logs).'),
    cfg.StrOpt('bind_address', default='127.0.0.1',
               help='Address the guest\'s database listens on.'),
    cfg.StrOpt('mount_point',
               help='Where the data volume is (the datadir).'),
    cfg.StrOpt('template_datadir',
               help='Pre-initialised datadir copied at prepare.'),
    cfg.StrOpt('mariadbd_path', default='/usr/sbin/mariadbd',
               help='The MariaDB server binary.'),
    cfg.StrOpt('mariabackup_path', default='/usr/bin/mariabackup',
               help='mariabackup (package mariadb-backup): writes and '
                    'prepares backups.'),
    cfg.StrOpt('mbstream_path', default='/usr/bin/mbstream',
               help='mbstream (package mariadb-backup): unpacks a backup '
                    'stream at restore.'),
    cfg.StrOpt('mariadb_binlog_path', default='/usr/bin/mariadb-binlog',
               help='mariadb-binlog: reads archived binary logs at a '
                    'point-in-time restore.'),
    cfg.StrOpt('mariadb_client_path', default='/usr/bin/mariadb',
               help='The mariadb client: applies the replayed binary log '
                    'at a point-in-time restore.'),
    cfg.IntOpt('disk_allowance_gb', default=0, min=0,
               help='Volume size granted to this guest (0: unlimited).'),
    cfg.IntOpt('guest_log_max_size', default=64 * 2 ** 20, min=0,
               help='Bytes a database log (general, slow_query, error) '
                    'may hold before the agent cuts it back to its newest '
                    'half, so logs never fill the guest (0: no limit).'),
    cfg.IntOpt('sql_read_timeout', default=30, min=1,
               help='Seconds the agent waits for an answer of its own '
                    'datastore on one of its connections (and to send it '
                    'a statement) before it gives up on the statement.'),
    cfg.IntOpt('sql_lock_wait_timeout', default=5, min=1,
               help='lock_wait_timeout and innodb_lock_wait_timeout of '
                    'the agent\'s sessions: how long its account, grant '
                    'and schema statements wait for a lock a tenant holds '
                    '(LOCK TABLES on its own tables) before '
                    'they fail. Less than the API\'s '
                    'api_guest_call_timeout, so the guest answers with '
                    'the error before the API stops waiting.'),
]


def register_opts(conf):
    conf.register_opts(guest_info_opts)
    conf.register_group(guest_group)
    conf.register_opts(guest_agent_opts, group=guest_group)


def list_opts():
    return [('DEFAULT', guest_info_opts), (guest_group, guest_agent_opts)]
