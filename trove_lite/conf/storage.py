"""Options of the backup storage (trove_lite.storage).

Trove's names in [DEFAULT] where the meaning is Trove's; the credentials
of the swift driver in [swift]. The guest agent reads these too: it writes
backups itself.
"""

import os

from oslo_config import cfg

storage_opts = [
    cfg.StrOpt('storage_strategy', default='local',
               choices=[('local', 'a directory per project under '
                                  'storage_local_path'),
                        ('swift', 'OpenStack Swift (python-swiftclient), '
                                  'large objects as segments')],
               help='Where backups are stored (Trove\'s option; Trove\'s '
                    'default is swift).'),
    cfg.StrOpt('storage_local_path',
               sample_default='<[local_compute] state_path>/storage',
               help='Root of the local storage; each project gets a '
                    'directory under it. Unset: the "storage" directory '
                    'of [local_compute] state_path.'),
    cfg.StrOpt('backup_swift_container', default='database_backups',
               help='Swift container (local: directory) backups go to '
                    'when a request names none.'),
    cfg.StrOpt('guest_log_container_name', default='database_logs',
               help='Container (local: directory) of the project\'s '
                    'backup storage that published database logs go to '
                    '(Trove\'s option).'),
    cfg.IntOpt('backup_chunk_size', default=2 ** 16, min=4096,
               max=16 * 2 ** 20,
               help='Bytes read, written and encrypted at a time. Each '
                    'encrypted chunk costs 16 bytes of tag.'),
    cfg.IntOpt('backup_segment_max_size', default=2 * 2 ** 30, min=2 ** 16,
               help='Largest Swift segment in bytes; bigger objects are '
                    'stored as segments under a Static Large Object '
                    'manifest.'),
    cfg.StrOpt('backup_aes_cbc_key', default='', secret=True,
               help='Key that encrypts stored backups (Trove\'s name; the '
                    'cipher is AES-256-GCM in authenticated chunks, not '
                    'CBC). At least 32 characters of random text, e.g. '
                    '"openssl rand -base64 32". Empty: not encrypted. '
                    'Backups made with another key cannot be read.'),
    cfg.IntOpt('storage_grant_lifetime', default=86400, min=60,
               help='Seconds a guest\'s storage grant (its temporary URLs '
                    'and its project\'s key, given with a backup, a '
                    'restore, the binlog archive or a log publish) stays '
                    'valid. A job longer than this fails; the binlog '
                    'archive\'s grant is renewed well before.'),
    cfg.StrOpt('backup_compression', default='zstd',
               choices=[('zstd', 'Zstandard (level 1 unless '
                                 'backup_compression_level): fast, the '
                                 'default'),
                        ('gzip', 'gzip (level 6 unless '
                                 'backup_compression_level)'),
                        ('none', 'stored as given')],
               help='Compression applied to backups before encryption. '
                    'Each stored object records its own, so changing this '
                    'does not affect reading older ones.'),
    cfg.IntOpt('binlog_archive_interval', default=60, min=1,
               help='Seconds between two archive passes of a guest whose '
                    'instance has a backup policy: the open binary log is '
                    'closed and archived at least this often, so a '
                    'point-in-time restore reaches to within this of '
                    'now.'),
    cfg.IntOpt('backup_policy_day', default=86400, min=1,
               help='Seconds in a day of backup policies: one automated '
                    'backup per day, retention in days. Shorter only in '
                    'tests.'),
    cfg.IntOpt('volume_backup_freeze_timeout', default=900, min=10,
               help='Most seconds a guest keeps its datastore quiesced '
                    '(locked, or stopped on the local compute driver) '
                    'for a "cinder" backup, a snapshot of its volume; it '
                    'thaws by itself after that, and the backup fails.'),
    cfg.IntOpt('backup_compression_level', min=1, max=19,
               help='Compression level (zstd 1-19, gzip 1-9). Unset: '
                    'zstd 1, gzip 6. Higher levels store less and take '
                    'longer; zstd above 3 is usually slower than '
                    'mariabackup itself.'),
    cfg.URIOpt('swift_url',
               help='Swift storage URL (ending in AUTH_<project>) used '
                    'instead of the one in the Keystone catalog.'),
    cfg.StrOpt('swift_service_type', default='object-store',
               help='Service type of Swift in the Keystone catalog.'),
    cfg.StrOpt('swift_endpoint_type', default='publicURL',
               help='Endpoint interface of Swift in the Keystone catalog.'),
    cfg.BoolOpt('swift_api_insecure', default=False,
                help='Do not verify Swift\'s (and Keystone\'s) TLS '
                     'certificate.'),
]

swift_group = cfg.OptGroup(
    'swift', title='Swift credentials',
    help='The user the swift storage driver acts as. Objects of each '
         'project are kept in the project\'s own account (as Trove keeps '
         'them), or with account_per_project off in this user\'s account, '
         'under the project\'s name prefix.')

swift_opts = [
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'Keystone v3 password (keystoneauth1 '
                                     'session)'),
                        ('tempauth', 'Swift v1 auth (tempauth), as in '
                                     'test deployments')],
               help='How the driver authenticates.'),
    cfg.URIOpt('auth_url',
               help='Keystone URL, or the tempauth URL (.../auth/v1.0).'),
    cfg.StrOpt('username', default='',
               help='User name (tempauth: "account:user").'),
    cfg.StrOpt('password', default='', secret=True,
               help='Password (tempauth: the key).'),
    cfg.StrOpt('project_name', default='', help='Keystone project name.'),
    cfg.StrOpt('project_id', default='',
               help='Keystone project ID (wins over project_name).'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Keystone domain of the user.'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Keystone domain of the project.'),
    cfg.StrOpt('region_name', help='Region whose Swift endpoint is used.'),
    cfg.BoolOpt('account_per_project', default=True,
                help='Keep each project\'s objects in the project\'s own '
                     'account (<reseller_prefix><project id>, beside the '
                     'user\'s own on the same Swift), where the project\'s '
                     'users read them with their own credentials (python-'
                     'troveclient\'s log_generator). The user needs the '
                     'reseller admin role (Keystone: ResellerAdmin; '
                     'tempauth: .reseller_admin). Off: one account for all '
                     'projects, readable by the operator only.'),
    cfg.StrOpt('reseller_prefix', default='AUTH_',
               help='Prefix of account names in storage URLs (Swift\'s '
                    'reseller_prefix).'),
    cfg.FloatOpt('timeout', default=60.0, min=1,
                 help='Seconds a Swift request may stay silent before it '
                      'fails.'),
    cfg.IntOpt('retries', default=3, min=0,
               help='Times a failed request that can be repeated (not a '
                    'streamed upload) is retried.'),
]


def register_opts(conf):
    conf.register_opts(storage_opts)
    conf.register_group(swift_group)
    conf.register_opts(swift_opts, group=swift_group)


def list_opts():
    return [('DEFAULT', storage_opts), (swift_group, swift_opts)]


def local_root(conf):
    """The root of the local storage: storage_local_path, or the
    "storage" directory of [local_compute] state_path."""
    return conf.storage_local_path or os.path.join(
        conf.local_compute.state_path, 'storage')


# What a guest must not hold: it is given a grant per job instead
# (trove_lite.storage.grants).
_CONTROL_PLANE_ONLY = {'backup_aes_cbc_key', 'swift_url', 'swift_service_type',
                       'swift_endpoint_type'}
_GUEST_SWIFT_OPTIONS = {'timeout', 'retries'}


def guest_sections(conf):
    """The storage options a guest needs to write and read backups with
    its grants, as {section: {option: value}} for its config file: the
    control plane's, with the local root resolved (a guest has no
    [local_compute] state_path), without the key and the credentials.
    Unset options stay out."""
    default = {}
    for opt in storage_opts:
        value = conf[opt.dest]
        if opt.dest == 'storage_local_path':
            value = local_root(conf)
        if opt.dest not in _CONTROL_PLANE_ONLY and value not in (None, ''):
            default[opt.dest] = str(value)
    swift = {opt.dest: str(conf.swift[opt.dest]) for opt in swift_opts
             if opt.dest in _GUEST_SWIFT_OPTIONS}
    return {'DEFAULT': default, 'swift': swift}
