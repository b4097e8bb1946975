"""Options of the compute drivers."""

from oslo_config import cfg
from oslo_config import types

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
    cfg.Opt('guest_uid_range', type=types.Range(1000, 2**31 - 2),
            default='42000-42999',
            help='Uids (first-last) of the unix users local guests run as, '
                 'one per server, made and removed by the driver. No '
                 'other account of the host may use them. Only a driver '
                 'running as root makes users; otherwise guests run as '
                 'the driver\'s user.'),
    cfg.ListOpt('guest_hidden_paths',
                default=['/root', '/home', '/etc/trove-lite'],
                help='Directories a local guest sees empty (in a mount '
                     'namespace of its own, besides other guests\' '
                     'servers and volumes), but for what its Python '
                     'needs. Only with guest users (the driver runs as '
                     'root).'),
    cfg.StrOpt('guest_transport_url', secret=True,
               help='Transport URL written into guests; defaults to this '
                    'service\'s transport_url.'),
    cfg.BoolOpt('guest_memory_limit', default=True,
                help='Run each local guest (agent and datastore) in a '
                     'memory cgroup of its own limited to its flavor\'s '
                     'RAM, no swap, as a VM of that size would be. Where '
                     'the kernel does not let the driver make one (not '
                     'root, no writable memory controller), guests run '
                     'without a limit and the taskmanager logs it.'),
    cfg.IntOpt('guest_nice', default=10, min=0, max=19,
               help='How much lower than the control plane\'s the local '
                    'guests\' CPU priority is: all guests together weigh '
                    'as one process at this `nice` value (a CPU cgroup, '
                    'each guest the same share of it), and each guest\'s '
                    'processes run at it. When guests and the services '
                    'compete for the CPU (a burst of builds, a tenant\'s busy '
                    'database) the API still answers and the taskmanager '
                    'still builds; an idle machine gives guests all of '
                    'it. A guest\'s user cannot raise it back.'),
    cfg.BoolOpt('shared_state', default=False,
                help='Every taskmanager with this state_path reaches its '
                     'servers: several taskmanagers on one machine, or a '
                     'state_path on shared storage. Then any taskmanager '
                     'takes any request, as with the nova driver. Off, '
                     'local servers live on the host that made them and '
                     'only that host\'s taskmanager acts on them.'),
    cfg.IntOpt('max_servers', default=0, min=0,
               help='Servers this host runs at most (0: no limit). New '
                    'instances go to a live taskmanager host with room.'),
    cfg.StrOpt('nft_table', default='trove_lite',
               regex=r'^[A-Za-z][A-Za-z0-9_]{0,63}$',
               help='The nftables table (family inet) in which the driver '
                    'refuses connections to an instance\'s datastore port '
                    'from outside its access allowed_cidrs. The driver '
                    'owns the whole table: give each deployment sharing a '
                    'machine a table of its own. With the iptables '
                    'firewall, it names the deployment\'s chains '
                    '(TL<hash of it>_<server>).'),
    cfg.StrOpt('firewall', default='auto',
               choices=[('auto', 'nftables where the taskmanager can use '
                                 'nft, else iptables where it can use it'),
                        ('nftables', 'a table of the deployment\'s own '
                                     '(nft_table)'),
                        ('iptables', 'chains of the deployment\'s own, '
                                     'jumped to from INPUT only for each '
                                     'limited server\'s address and port '
                                     '(for hosts without nftables)')],
               help='How the driver refuses connections to an instance\'s '
                    'datastore port from outside its access '
                    'allowed_cidrs. A switch leaves the rules the other '
                    'one made: switch while no instance limits its '
                    'access.'),
]


# The nova driver's options that Trove has, under Trove's names (DEFAULT).
nova_trove_opts = [
    cfg.StrOpt('nova_compute_service_type', default='compute',
               help='Service type of Nova in the Keystone catalog.'),
    cfg.StrOpt('nova_compute_endpoint_type', default='publicURL',
               help='Endpoint interface of Nova (publicURL, internalURL, '
                    'adminURL or public, internal, admin).'),
    cfg.StrOpt('cinder_service_type', default='volumev3',
               help='Service type of Cinder in the Keystone catalog.'),
    cfg.StrOpt('cinder_endpoint_type', default='publicURL',
               help='Endpoint interface of Cinder.'),
    cfg.StrOpt('neutron_service_type', default='network',
               help='Service type of Neutron in the Keystone catalog.'),
    cfg.StrOpt('neutron_endpoint_type', default='publicURL',
               help='Endpoint interface of Neutron.'),
    cfg.StrOpt('nova_keypair',
               help='Nova keypair injected into every server (operator '
                    'SSH access).'),
    cfg.BoolOpt('use_nova_server_config_drive', default=True,
                help='Give servers a config drive, so cloud-init finds '
                     'the user data without a metadata service.'),
    cfg.ListOpt('management_networks', default=[],
                help='Neutron network IDs attached to every server after '
                     'the networks of the request.'),
    cfg.BoolOpt('trove_security_groups_support', default=True,
                help='Create a security group per instance that opens the '
                     'datastore port. Turn off on clouds without Neutron '
                     'security groups.'),
    cfg.StrOpt('trove_security_group_name_prefix', default='trove_sg',
               help='Security groups are named <prefix>-<instance id>.'),
    cfg.ListOpt('trove_security_group_rule_cidr', default=['0.0.0.0/0'],
                help='CIDRs the datastore port is opened to (Trove takes '
                     'one; a list is accepted here).'),
    cfg.StrOpt('cinder_volume_type',
               help='Volume type used when a request names none.'),
    cfg.IntOpt('volume_time_out', default=60, min=1,
               help='Seconds to wait for a volume to become available, '
                    'or to be released before it is deleted.'),
    cfg.StrOpt('device_path', default='/dev/vdb',
               help='Where the data volume appears inside the guest.'),
    cfg.StrOpt('volume_fstype', default='ext4',
               choices=['ext3', 'ext4', 'xfs'],
               help='Filesystem cloud-init makes on a new data volume.'),
    cfg.StrOpt('mount_options', default='defaults,noatime',
               help='Mount options of the data volume in the guest.'),
]

nova_group = cfg.OptGroup(
    'nova_compute', title='Nova compute driver',
    help='Servers are Nova servers with a Cinder data volume, configured '
         'by cloud-init user data.')

nova_opts = [
    cfg.StrOpt('guest_transport_url', secret=True,
               help='Transport URL written into guests (their own broker '
                    'user, an address they can reach); defaults to this '
                    'service\'s transport_url.'),
    cfg.StrOpt('public_network',
               help='Neutron network (ID) from which an instance whose '
                    'access is_public gets a floating IP on its server\'s '
                    'port, as Trove gives one; it goes when the access '
                    'turns private and with the instance. Unset: no '
                    'floating IP, and is_public is only stored and shown. '
                    'Unset it only when no instance has one: they are '
                    'found and released only while it is set.'),
    cfg.IntOpt('server_boot_timeout', default=600, min=1,
               help='Seconds a new server may take to become ACTIVE.'),
    cfg.FloatOpt('status_poll_interval', default=2.0, min=0.001,
                 help='Seconds between status checks of servers and '
                      'volumes being made or removed.'),
    cfg.StrOpt('network_allocation', default='auto',
               choices=[('auto', 'Nova uses the project\'s only network '
                                 'or allocates one'),
                        ('none', 'the server gets no NIC (test clouds '
                                 'without Neutron)')],
               help='What a server gets when management_networks names '
                    'no network.'),
]


qemu_group = cfg.OptGroup(
    'qemu_compute', title='qemu compute driver',
    help='Servers are qemu virtual machines on this host, booted from the '
         'guest image (tools/build-guest-image.sh) and configured by the '
         'same cloud-init user data as Nova servers; volumes are qcow2 '
         'files.')

qemu_opts = [
    cfg.StrOpt('state_path', default='/var/lib/trove-lite/qemu',
               help='Directory holding the servers (disks, seeds, console '
                    'logs) and the volumes.'),
    cfg.StrOpt('images_path', default='/var/cache/trove-lite/images',
               help='Directory of guest images: a datastore version\'s '
                    'image is the name of a qcow2 file in it.'),
    cfg.ListOpt('address_pools', default=['127.0.3.0/24'],
                help='Loopback networks (CIDR) servers take addresses from; '
                     'the datastore port of each server is forwarded from '
                     'its own address. Never include 127.0.0.1.'),
    cfg.StrOpt('accelerator', default='tcg',
               choices=[('tcg', 'software emulation: works everywhere, '
                                'slow'),
                        ('kvm', 'hardware virtualisation (/dev/kvm)')],
               help='How qemu runs the guests.'),
    cfg.StrOpt('run_as_user', default='nobody',
               help='User qemu runs as once it has opened its files, when '
                    'the taskmanager runs as root.'),
    cfg.StrOpt('qemu_path', default='qemu-system-x86_64',
               help='The qemu system emulator.'),
    cfg.StrOpt('qemu_img_path', default='qemu-img',
               help='The qemu disk image tool.'),
]


def register_opts(conf):
    conf.register_group(local_group)
    conf.register_opts(local_opts, group=local_group)
    conf.register_opts(nova_trove_opts)
    conf.register_group(nova_group)
    conf.register_opts(nova_opts, group=nova_group)
    conf.register_group(qemu_group)
    conf.register_opts(qemu_opts, group=qemu_group)


def list_opts():
    return [(local_group, local_opts), ('DEFAULT', nova_trove_opts),
            (nova_group, nova_opts), (qemu_group, qemu_opts)]
