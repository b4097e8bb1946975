"""Options of the [DEFAULT] group shared by every service (Trove's names)."""

import socket

from oslo_config import cfg

# trove-lite's defaults of two options oslo.messaging owns, set by every
# service (conf.opts.set_defaults) and by a guest agent, which loads no
# oslo.messaging (cmd.guestagent). Durable queues keep a create or prepare
# message across a broker restart.
CONTROL_EXCHANGE = 'trove'
DURABLE_QUEUES = True

rpc_opts = [
    cfg.StrOpt('taskmanager_queue', default='taskmanager',
               help='RPC topic of the taskmanager.'),
    cfg.StrOpt('conductor_queue', default='trove-conductor',
               help='RPC topic of the conductor.'),
    cfg.IntOpt('trove_conductor_workers', default=2, min=1,
               help='Conductor worker processes sharing its topic (the '
                    'heartbeat path is CPU-bound: one per core).'),
    cfg.IntOpt('rpc_cast_retry', default=3, min=-1,
               help='Times the API (and the conductor) retry sending a '
                    'cast while the broker is unreachable before giving up '
                    '(-1: forever). Services talking to guests always '
                    'retry.'),
    cfg.IntOpt('agent_call_low_timeout', default=15, min=1,
               help='Seconds to wait for a short guest agent call.'),
    cfg.IntOpt('agent_call_high_timeout', default=180, min=1,
               help='Seconds to wait for a long guest agent call.'),
    cfg.BoolOpt('encrypted_rpc_messaging', default=True,
                help='Give every new instance a key of its own and seal '
                     'the messages between the control plane and its '
                     'guest with it: guests share the broker, and the key '
                     'keeps one guest from commanding another or reporting '
                     'for it. Instances made without a key talk in the '
                     'clear.'),
    cfg.IntOpt('sealed_message_skew', default=120, min=1,
               help='Seconds a sealed message may be older (or newer) than '
                    'the receiver\'s clock: an older one is refused as a '
                    'replay. Clocks of the control plane and the guests '
                    'must agree within it. Messages that wait in a queue '
                    '(a guest\'s prepare, requests to the taskmanager) '
                    'have sealed_message_max_queue_age instead.'),
    cfg.IntOpt('sealed_message_max_queue_age', default=86400, min=60,
               help='Seconds a sealed message that may wait in a queue '
                    'for its receiver to start (a guest\'s prepare, a '
                    'request to the taskmanager) is obeyed after it was '
                    'sealed, once: its id is remembered that long.'),
    cfg.IntOpt('sealed_message_ids_per_instance', default=10000, min=10,
               help='Ids of sealed messages remembered per instance for '
                    'the skew window, to refuse a replay (the control '
                    'plane keeps them in its database, a guest in its '
                    'sandbox, so a restart does not forget them); more '
                    'messages from one instance within the window are '
                    'refused.'),
    cfg.IntOpt('instance_key_cache_size', default=10000, min=1,
               help='Instance keys the conductor keeps in memory (least '
                    'recently used ones are dropped and read again).'),
    cfg.StrOpt('guest_broker_credentials', default='per_instance',
               choices=[('per_instance',
                         'a broker user of its own for every instance, '
                         'made at create and removed at delete through '
                         'RabbitMQ\'s management HTTP API: it may consume '
                         'only its own queue and publish only to the '
                         'conductor topic'),
                        ('shared',
                         'every guest gets the credentials of the guest '
                         'transport URL (weaker: any guest can cast to the '
                         'taskmanager and consume other guests\' queues)')],
               help='Which broker credentials guests get.'),
    cfg.URIOpt('broker_management_url', default='http://127.0.0.1:15672',
               schemes=['http', 'https'],
               help='RabbitMQ\'s management HTTP API on the broker of '
                    'transport_url (the rabbitmq_management plugin). The '
                    'taskmanager logs in with the user of transport_url, '
                    'which needs the "administrator" tag.'),
    cfg.StrOpt('inst_rpc_key_encr_key', secret=True,
               default='emYjgHFqfXNB1NGehAFIUeoyw4V4XwWHEaKP',
               help='Encrypts the instance keys in the database (Trove\'s '
                    'option). Set a secret value of your own on a real '
                    'cloud; changing it makes the stored keys unreadable.'),
]

status_opts = [
    cfg.IntOpt('usage_timeout', default=1800, min=1,
               help='Seconds to wait for a new guest to report healthy '
                    'before the instance is marked ERROR.'),
    cfg.FloatOpt('usage_sleep_time', default=5.0, min=0.01,
                 help='Seconds between status checks while waiting for a '
                      'guest. Waits end at once on a status change pushed '
                      'by the conductor; this is only the fallback check.'),
    cfg.IntOpt('agent_heartbeat_time', default=10, min=1,
               help='Seconds a guest heartbeat counts as fresh for the '
                    'guest agent liveness check.'),
    cfg.IntOpt('agent_heartbeat_expiry', default=90, min=1,
               help='Seconds after the last heartbeat at which an idle '
                    'instance is shown with operating_status ERROR.'),
    cfg.FloatOpt('report_interval', default=30.0, min=0.05,
                 help='Seconds between periodic heartbeats of a guest.'),
    cfg.IntOpt('state_change_wait_time', default=180, min=1,
               help='Seconds the guest waits for its database to start or '
                    'stop.'),
    cfg.IntOpt('server_delete_time_out', default=60, min=1,
               help='Seconds to wait for a server to go away.'),
    cfg.IntOpt('periodic_interval', default=60, min=1,
               help='Seconds between the taskmanager\'s housekeeping runs '
                    '(failing lost builds, removing orphan servers and '
                    'volumes).'),
    cfg.IntOpt('reboot_time_out', default=120, min=1,
               help='Seconds a restarted guest may take to report its '
                    'status before the restart counts as done anyway '
                    '(the guest\'s next heartbeat then tells).'),
    cfg.IntOpt('resize_time_out', default=900, min=1,
               help='Seconds a server may take to take another flavor '
                    '(a Nova resize until VERIFY_RESIZE, and its confirm '
                    'or revert).'),
    cfg.BoolOpt('update_status_on_fail', default=True,
                help='Mark an instance ERROR when its build times out.'),
]

service_opts = [
    cfg.IntOpt('service_report_interval', default=10, min=1,
               help='Seconds between the heartbeats a taskmanager or '
                    'conductor writes to the service registry (Nova\'s '
                    'report_interval; that name is the guest\'s here).'),
    cfg.IntOpt('service_down_time', default=60, min=1,
               help='Seconds without a heartbeat after which a taskmanager '
                    'or conductor counts as down (Nova\'s option).'),
    cfg.IntOpt('taskmanager_lease_timeout', default=60, min=1,
               help='Seconds without a registry heartbeat after which a '
                    'taskmanager\'s claims on instances lapse: another '
                    'taskmanager takes over the builds, deletes and '
                    'actions it held (Ironic\'s reservation of a dead '
                    'conductor). Keep it several service_report_interval '
                    'long, so a busy database does not hand live work to '
                    'a second taskmanager.'),
]

catalogue_opts = [
    cfg.StrOpt('default_datastore',
               help='Datastore used when a create request names none.'),
    cfg.IntOpt('max_accepted_volume_size', default=10, min=1,
               help='Largest volume in GB a request may ask for.'),
    cfg.IntOpt('max_replicas_per_instance', default=3, min=1,
               help='Most replicas one replication source may have.'),
    cfg.IntOpt('failover_timeout', default=30, min=1,
               help='Seconds a replication source with automatic failover '
                    'may go without a heartbeat (and without its database '
                    'answering) before its most advanced replica replaces '
                    'it.'),
    cfg.IntOpt('agent_replication_snapshot_timeout', default=3600, min=1,
               help='Seconds to wait for a source\'s guest to take the '
                    'snapshot a new replica is built from.'),
    cfg.StrOpt('region', default='LOCAL_DEV',
               help='Region named in usage notifications.'),
    cfg.StrOpt('compute_driver', default='local',
               choices=[('local', 'sandbox directory and guest process on '
                                  'this machine'),
                        ('nova', 'OpenStack Nova servers and Cinder '
                                 'volumes'),
                        ('qemu', 'qemu virtual machines on this host')],
               help='How instances get their server.'),
    cfg.StrOpt('host', sample_default='<hostname>',
               help='Name of this host in notifications and RPC servers.'),
]


def register_opts(conf):
    conf.register_opts(rpc_opts)
    conf.register_opts(status_opts)
    conf.register_opts(service_opts)
    conf.register_opts(catalogue_opts)
    conf.set_default('host', socket.gethostname())


def list_opts():
    return [('DEFAULT', rpc_opts + status_opts + service_opts +
                         catalogue_opts)]
