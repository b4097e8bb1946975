"""Options of the compute drivers."""

from oslo_config import cfg

local_group = cfg.OptGroup(
    'local_compute', title='Local compute driver',
    help='Servers are sandbox directories with a guest agent process on '
         'this machine, each with its own loopback address.')

local_opts = [
    cfg.StrOpt('state_path', default='/var/lib/trove-lite',
               help='Directory holding server sandboxes and images.'),
    cfg.ListOpt('address_pools', default=['127.0.2.0/24'],
                help='Loopback networks (CIDR) servers take addresses '
                     'from; never include 127.0.0.1.'),
    cfg.StrOpt('mariadbd_path', default='/usr/sbin/mariadbd',
               help='The MariaDB server binary guests run.'),
    cfg.StrOpt('install_db_path', default='/usr/bin/mariadb-install-db',
               help='The tool that initialises an image template datadir.'),
    cfg.DictOpt('guest_images', default={},
                help='Extra images: name -> guest command. The command is '
                     'split on spaces; {config_file} and {python} are '
                     'substituted. The built-in image "trove-lite-guest" '
                     'runs trove-lite-guestagent.'),
    cfg.StrOpt('guest_transport_url', secret=True,
               help='Transport URL written into guests; defaults to this '
                    'service\'s transport_url.'),
]


def register_opts(conf):
    conf.register_group(local_group)
    conf.register_opts(local_opts, group=local_group)


def list_opts():
    return [(local_group, local_opts)]
