"""The user data that turns a booted guest image into a trove-lite guest.

cloud-init writes the guest's config files, formats and mounts the data
volume (only when it has no filesystem yet, so a rebuilt server keeps its
data) and starts the agent. The paths and the ``trove-lite`` user are the
guest image's layout, made by ``devstack/lib/trove-lite``'s image build.
"""

import configparser
import io
import json

CONF_DIR = '/etc/trove/conf.d'
GUEST_INFO_FILE = f'{CONF_DIR}/guest_info.conf'
AGENT_CONF_FILE = f'{CONF_DIR}/trove-lite-guestagent.conf'
UNIT_FILE = '/etc/systemd/system/trove-lite-guestagent.service'
AGENT_BINARY = '/opt/trove-lite/bin/trove-lite-guestagent'
GUEST_USER = 'trove-lite'
STATE_DIR = '/var/lib/trove-lite'
SANDBOX_PATH = f'{STATE_DIR}/guest'
MOUNT_POINT = f'{STATE_DIR}/data'
TEMPLATE_DATADIR = f'{STATE_DIR}/template'

# What Trove's guest_info.conf holds: who the guest is. Everything else
# (broker, queues, secrets) goes to the agent's own file, readable only by
# the agent's user.
GUEST_INFO_KEYS = ('guest_id', 'datastore_manager', 'datastore_version')

UNIT = f"""[Unit]
Description=trove-lite guest agent
Wants=network-online.target
After=network-online.target local-fs.target

[Service]
User={GUEST_USER}
ExecStart={AGENT_BINARY} --config-dir {CONF_DIR}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


def user_data(guest_config, volume):
    """The ``#cloud-config`` document for one server.

    ``volume`` is None for a server without a data volume, else a dict
    with the guest's ``device``, ``fstype`` and ``mount_options``.
    """
    sections = guest_config.sections()
    defaults = sections['DEFAULT']
    guest_info = {key: defaults[key] for key in GUEST_INFO_KEYS}
    agent = {key: value for key, value in defaults.items()
             if key not in GUEST_INFO_KEYS}
    agent_sections = {'DEFAULT': agent, 'guest_agent': {
        'sandbox_path': SANDBOX_PATH,
        'bind_address': '0.0.0.0',
        'mount_point': MOUNT_POINT,
        'template_datadir': TEMPLATE_DATADIR,
    }}
    for section, values in sections.items():
        if section != 'DEFAULT':
            agent_sections.setdefault(section, {}).update(values)
    owner = f'{GUEST_USER}:{GUEST_USER}'
    document = {
        'write_files': [
            {'path': GUEST_INFO_FILE, 'owner': owner, 'permissions': '0644',
             'content': _ini({'DEFAULT': guest_info})},
            {'path': AGENT_CONF_FILE, 'owner': owner, 'permissions': '0600',
             'content': _ini(agent_sections)},
            {'path': UNIT_FILE, 'permissions': '0644', 'content': UNIT},
        ],
        'runcmd': [
            ['mkdir', '-p', SANDBOX_PATH, MOUNT_POINT],
            ['chown', owner, SANDBOX_PATH, MOUNT_POINT],
            ['systemctl', 'daemon-reload'],
            ['systemctl', 'enable', '--now', 'trove-lite-guestagent.service'],
        ],
    }
    if volume is not None:
        document['fs_setup'] = [{
            'label': 'trove-data', 'filesystem': volume['fstype'],
            'device': volume['device'], 'partition': 'none',
            'overwrite': False}]
        document['mounts'] = [[
            volume['device'], MOUNT_POINT, volume['fstype'],
            volume['mount_options'], '0', '2']]
    # JSON is YAML, so cloud-init reads it, and no YAML quoting rules can
    # bite a password with a colon or a hash in it.
    return '#cloud-config\n' + json.dumps(document, indent=2) + '\n'


def _ini(sections):
    parser = configparser.ConfigParser(interpolation=None)
    for section, values in sections.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in values.items():
            parser.set(section, key, str(value))
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()
