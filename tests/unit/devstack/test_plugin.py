"""The DevStack plugin, phase by phase, without a cloud: bash sources
devstack/settings and devstack/plugin.sh with DevStack's functions
replaced by recorders (devstack_stubs.sh), and the tests read back the
calls and the config the iniset calls write."""

import configparser
import pathlib
import shlex
import shutil
import subprocess

import pytest
from keystoneauth1 import loading as ks_loading
from keystonemiddleware import auth_token
from oslo_config import cfg
from oslo_log import _options as log_options
from oslo_messaging import opts as messaging_opts

from trove_lite.conf import opts as trove_lite_opts

REPO = pathlib.Path(__file__).resolve().parents[3]
DEVSTACK = REPO / 'devstack'
STUBS = pathlib.Path(__file__).parent / 'devstack_stubs.sh'
SHELLCHECK_INSTALL = 'apt-get install -y shellcheck'

# What DevStack enables before the plugin's settings add tl-api, tl-tmgr
# and tl-cond.
ALL_SERVICES = 'key,mysql,rabbit,g-api,n-api,c-api,neutron,tempest'
TROVE_LITE_SERVICES = 'tl-api,tl-tmgr,tl-cond'


class Plugin:
    """Runs plugin phases in a fresh bash each, as DevStack does."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.calls_file = tmp_path / 'calls'
        self.bin = tmp_path / 'bin'
        self.bin.mkdir()
        for command in ('trove-lite-manage', 'trove-lite-taskmanager',
                        'trove-lite-conductor'):
            script = self.bin / command
            script.write_text('#!/bin/bash\nsource "$STUBS"\n'
                              f'record {command} "$@"\n')
            script.chmod(0o755)
        self.conf_dir = tmp_path / 'etc' / 'trove-lite'
        self.conf = self.conf_dir / 'trove-lite.conf'
        self.uwsgi = self.conf_dir / 'trove-lite-api-uwsgi.ini'
        self.env = {
            'PATH': '/usr/bin:/bin',
            'CALLS': str(self.calls_file),
            'STUBS': str(STUBS),
            'STUB_BIN': str(self.bin),
            'DEST': str(tmp_path / 'opt'),
            'TROVE_LITE_DIR': str(REPO),
            'TROVE_LITE_CONF_DIR': str(self.conf_dir),
            'ENABLED_SERVICES': ALL_SERVICES,
            'STACK_USER': 'stack',
            'SERVICE_HOST': '10.0.0.5',
            'SERVICE_PROTOCOL': 'http',
            'SERVICE_PASSWORD': 'service-secret',
            'SERVICE_PROJECT_NAME': 'service',
            'SERVICE_DOMAIN_NAME': 'Default',
            'REGION_NAME': 'RegionOne',
            'KEYSTONE_SERVICE_URI': 'http://10.0.0.5/identity',
            'RABBIT_PASSWORD': 'rabbit-secret',
            'DATABASE_PASSWORD': 'db-secret',
            'ENABLE_DEBUG_LOG_LEVEL': 'True',
            'API_WORKERS': '2',
            'PUBLIC_NETWORK_GATEWAY': '172.24.4.1',
            'PRIVATE_NETWORK_NAME': 'private',
            'TEMPEST_CONFIG': str(tmp_path / 'tempest.conf'),
        }

    def run(self, *phase, **env):
        """Source the plugin for one phase; the calls it made."""
        self.calls_file.write_text('')
        script = ('set -o errexit -o nounset -o pipefail\n'
                  'source "$STUBS"\n'
                  f'source {shlex.quote(str(DEVSTACK / "settings"))}\n'
                  f'source {shlex.quote(str(DEVSTACK / "plugin.sh"))} "$@"\n')
        result = subprocess.run(
            ['bash', '-c', script, 'stack.sh', *phase],
            env=dict(self.env, **env), capture_output=True, text=True,
            timeout=60)
        assert result.returncode == 0, result.stderr
        return [shlex.split(line)
                for line in self.calls_file.read_text().splitlines()]


@pytest.fixture
def plugin(tmp_path):
    return Plugin(tmp_path)


def named(calls, name):
    return [call[1:] for call in calls if call[0] == name]


def written(calls, path):
    """The ini file the iniset calls make (last write wins)."""
    config = {}
    for file, section, option, value in named(calls, 'iniset'):
        if file == str(path):
            config.setdefault(section, {})[option] = value
    return config


def known_options():
    """(section, option) pairs trove-lite or its libraries read."""
    known = set()
    groups = list(trove_lite_opts.list_opts())
    groups += messaging_opts.list_opts()
    groups += auth_token.list_opts()
    groups += [('DEFAULT', log_options.list_opts()[0][1])]
    groups += [('keystone_authtoken',
                ks_loading.get_auth_plugin_conf_options('password')
                + ks_loading.get_auth_common_conf_options())]
    for group, options in groups:
        name = getattr(group, 'name', group) or 'DEFAULT'
        known.update((name, option.dest) for option in options)
    return known


def test_settings_enable_the_three_services(plugin):
    calls = plugin.run('stack', 'install')

    assert named(calls, 'enable_service') == [['tl-api', 'tl-tmgr',
                                               'tl-cond']]


def test_install_puts_trove_lite_in_place(plugin):
    calls = plugin.run('stack', 'install')

    assert named(calls, 'setup_develop') == [[str(REPO)]]


def load(config, path):
    """Every trove-lite option as trove-lite would read ``config`` (types
    and choices checked)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict(config)
    with open(path, 'w') as out:
        parser.write(out)
    conf = cfg.ConfigOpts()
    groups = trove_lite_opts.list_opts()
    for group, options in groups:
        conf.register_opts(options, group=None if group == 'DEFAULT'
                           else group)
    conf([], default_config_files=[str(path)])
    return {group: {option.dest: (conf if group == 'DEFAULT'
                                  else conf[group])[option.dest]
                    for option in options}
            for group, options in groups}


def test_post_config_writes_a_config_trove_lite_understands(plugin):
    calls = plugin.run('stack', 'post-config')

    config = written(calls, plugin.conf)
    unknown = {(section, option) for section, values in config.items()
               for option in values} - known_options()
    assert not unknown
    loaded = load(config, plugin.tmp / 'loaded.conf')
    assert loaded['DEFAULT']['compute_driver'] == 'nova'
    assert loaded['DEFAULT']['trove_security_group_rule_cidr'] == [
        '0.0.0.0/0']
    assert loaded['nova_compute']['network_allocation'] == 'auto'
    assert config['DEFAULT']['compute_driver'] == 'nova'
    assert config['DEFAULT']['auth_strategy'] == 'keystone'
    assert config['DEFAULT']['transport_url'] == \
        'rabbit://stackrabbit:rabbit-secret@10.0.0.5:5672/trove-lite'
    assert config['DEFAULT']['public_endpoint'] == 'http://10.0.0.5/database'
    assert config['DEFAULT']['trove_security_groups_support'] == 'True'
    assert config['database']['connection'] == \
        'mysql+pymysql://root:db-secret@127.0.0.1/trove_lite?charset=utf8'
    assert config['service_credentials'] == {
        'auth_url': 'http://10.0.0.5/identity', 'username': 'trove-lite',
        'password': 'service-secret', 'project_name': 'service',
        'user_domain_name': 'Default', 'project_domain_name': 'Default',
        'region_name': 'RegionOne'}
    assert config['nova_compute'] == {
        'guest_transport_url': 'rabbit://trove-lite-guest:service-secret@'
                               '172.24.4.1:5672/trove-lite',
        'network_allocation': 'auto'}
    assert config['keystone_authtoken']['username'] == 'trove-lite'


def test_post_config_serves_the_api_under_uwsgi_at_database(plugin):
    calls = plugin.run('stack', 'post-config')

    assert named(calls, 'write_uwsgi_config') == [[
        str(plugin.uwsgi), 'trove_lite.api.wsgi:application', '/database',
        '', 'trove-lite-api']]
    assert written(calls, plugin.uwsgi) == {'uwsgi': {
        'env': f'TROVE_LITE_CONFIG={plugin.conf}'}}


def test_post_config_registers_the_database_service_and_endpoint(plugin):
    calls = plugin.run('stack', 'post-config')

    assert named(calls, 'create_service_user') == [['trove-lite', 'admin']]
    assert named(calls, 'get_or_create_service') == [[
        'trove-lite', 'database', 'Database as a service (trove-lite)']]
    assert named(calls, 'get_or_create_endpoint') == [[
        'database', 'RegionOne',
        'http://10.0.0.5/database/v1.0/$(project_id)s']]


def test_post_config_makes_the_database_then_its_schema(plugin):
    calls = plugin.run('stack', 'post-config')

    order = [call[0] for call in calls]
    assert named(calls, 'recreate_database') == [['trove_lite']]
    assert named(calls, 'trove-lite-manage') == [
        ['--config-file', str(plugin.conf), 'db-sync']]
    # The schema is made with the finished config, in the new database.
    assert order.index('trove-lite-manage') > max(
        i for i, name in enumerate(order) if name == 'iniset')
    assert order.index('trove-lite-manage') > order.index(
        'recreate_database')


def test_post_config_gives_guests_a_rabbitmq_user_of_their_own(plugin):
    calls = plugin.run('stack', 'post-config')

    assert named(calls, 'rpc_backend_add_vhost') == [['trove-lite']]
    assert named(calls, 'sudo')[-2:] == [
        ['rabbitmqctl', 'add_user', 'trove-lite-guest', 'service-secret'],
        ['rabbitmqctl', 'set_permissions', '-p', 'trove-lite',
         'trove-lite-guest', '.*', '.*', '.*']]


def test_post_config_lets_the_taskmanager_make_a_broker_user_per_instance(
        plugin):
    calls = plugin.run('stack', 'post-config')

    rabbit = named(calls, 'sudo')
    assert ['rabbitmq-plugins', 'enable', 'rabbitmq_management'] in rabbit
    assert ['rabbitmqctl', 'set_user_tags', 'stackrabbit',
            'administrator'] in rabbit
    assert written(calls, plugin.conf)['DEFAULT'][
        'broker_management_url'] == 'http://10.0.0.5:15672'


def test_post_config_again_resets_the_guest_users_password(plugin):
    calls = plugin.run('stack', 'post-config',
                       RABBIT_USERS='trove-lite-guest\t[]\n',
                       TROVE_LITE_GUEST_RABBIT_PASSWORD='new-secret')

    rabbit = named(calls, 'sudo')
    assert ['rabbitmqctl', 'change_password', 'trove-lite-guest',
            'new-secret'] in rabbit
    assert not [call for call in rabbit if 'add_user' in call]


def test_without_neutron_guests_get_no_network_and_no_security_group(
        plugin):
    calls = plugin.run('stack', 'post-config',
                       ENABLED_SERVICES='key,mysql,rabbit,n-api,c-api')

    config = written(calls, plugin.conf)
    assert config['DEFAULT']['trove_security_groups_support'] == 'False'
    assert config['nova_compute']['network_allocation'] == 'none'


def test_without_keystone_no_accounts_are_made(plugin):
    calls = plugin.run('stack', 'post-config',
                       ENABLED_SERVICES='mysql,rabbit')

    assert not named(calls, 'get_or_create_service')
    assert not named(calls, 'create_service_user')


def manage(calls):
    return [call[2:] for call in named(calls, 'trove-lite-manage')]


def test_extra_registers_flavors_network_and_a_built_image_then_starts(
        plugin):
    calls = plugin.run('stack', 'extra')

    assert written(calls, plugin.conf) == {
        'DEFAULT': {'management_networks': 'net-mgmt-id'}}
    image_dir = pathlib.Path(plugin.env['DEST']) / 'trove-lite-images'
    image_file = image_dir / 'trove-lite-guest-mariadb-10.11.qcow2'
    assert named(calls, 'sudo') == [
        ['TROVE_LITE_IMAGE_CACHE=/var/cache/trove-lite/images',
         str(REPO / 'tools' / 'build-guest-image.sh'), '--output',
         str(image_file), '--compress'],
        ['chown', 'stack', str(image_file)]]
    image_create = [call for call in named(calls, 'openstack')
                    if 'image' in call]
    assert image_create == [[
        '--os-cloud', 'devstack-admin', 'image', 'create',
        'trove-lite-guest-mariadb-10.11', '--disk-format', 'qcow2',
        '--container-format', 'bare', '--private', '--tag', 'trove-lite',
        '--file', str(image_dir / 'trove-lite-guest-mariadb-10.11.qcow2'),
        '-f', 'value', '-c', 'id']]
    assert manage(calls) == [
        ['flavor-create', '1', 'm1.tiny', '512', '1', '--disk', '1'],
        ['flavor-create', '42', 'm1.nano', '128', '1', '--disk', '0'],
        ['datastore-update', 'mariadb'],
        ['datastore-version-update', 'mariadb', '10.11', 'mariadb',
         '--image', 'image-id-1'],
        ['datastore-update', 'mariadb', '10.11'],
        ['db-load-datastore-config-parameters', 'mariadb', '10.11']]
    assert named(calls, 'run_process') == [
        ['tl-api', '/usr/local/bin/uwsgi --procname-prefix trove-lite '
                   f'--ini {plugin.uwsgi}'],
        ['tl-tmgr', f'{plugin.bin}/trove-lite-taskmanager --config-file '
                    f'{plugin.conf}'],
        ['tl-cond', f'{plugin.bin}/trove-lite-conductor --config-file '
                    f'{plugin.conf}']]


def test_extra_downloads_the_image_when_given_its_url(plugin):
    calls = plugin.run('stack', 'extra', TROVE_LITE_GUEST_IMAGE_URL=(
        'https://images.example/trove-lite-guest.qcow2'))

    image_file = (pathlib.Path(plugin.env['DEST']) / 'trove-lite-images'
                  / 'trove-lite-guest-mariadb-10.11.qcow2')
    assert named(calls, 'curl') == [[
        '-sSfL', 'https://images.example/trove-lite-guest.qcow2', '-o',
        str(image_file)]]
    assert not named(calls, 'sudo')
    assert ['datastore-version-update', 'mariadb', '10.11', 'mariadb',
            '--image', 'image-id-1'] in manage(calls)


def test_extra_without_any_image_registers_the_version_without_one(plugin):
    calls = plugin.run('stack', 'extra',
                       TROVE_LITE_BUILD_GUEST_IMAGE='False')

    assert not named(calls, 'sudo')
    assert not [call for call in named(calls, 'openstack')
                if 'image' in call]
    assert ['datastore-version-update', 'mariadb', '10.11',
            'mariadb'] in manage(calls)


def test_test_config_tells_tempest_a_database_service_is_there(plugin):
    calls = plugin.run('stack', 'test-config')

    assert named(calls, 'iniset') == [
        [plugin.env['TEMPEST_CONFIG'], 'service_available', 'trove',
         'True']]


def test_unstack_stops_every_service(plugin):
    calls = plugin.run('unstack')

    assert named(calls, 'stop_process') == [['tl-api'], ['tl-tmgr'],
                                             ['tl-cond']]


def test_clean_removes_config_uwsgi_and_images(plugin):
    calls = plugin.run('clean')

    assert named(calls, 'remove_uwsgi_config') == [
        [str(plugin.uwsgi), 'trove-lite-api']]
    assert named(calls, 'sudo') == [[
        'rm', '-rf', str(plugin.conf_dir),
        str(pathlib.Path(plugin.env['DEST']) / 'trove-lite-images')]]


@pytest.mark.parametrize('phase', [('stack', 'install'),
                                   ('stack', 'post-config'),
                                   ('stack', 'extra'), ('unstack',),
                                   ('clean',)])
def test_plugin_does_nothing_when_no_trove_lite_service_is_enabled(
        plugin, phase):
    calls = plugin.run(*phase, STUB_DISABLED_SERVICES=TROVE_LITE_SERVICES)

    assert [call[0] for call in calls] == ['enable_service']


def test_plugin_scripts_are_shellcheck_clean():
    shellcheck = shutil.which('shellcheck')
    assert shellcheck, f'shellcheck is missing: {SHELLCHECK_INSTALL}'
    scripts = [DEVSTACK / 'plugin.sh', DEVSTACK / 'settings',
               DEVSTACK / 'lib' / 'trove-lite', STUBS,
               REPO / 'tools' / 'build-guest-image.sh',
               *sorted((REPO / 'tools' / 'lib' / 'guest-image').glob('*.sh'))]

    result = subprocess.run([shellcheck, '--external-sources', *scripts],
                            cwd=REPO, capture_output=True, text=True)

    assert result.returncode == 0, result.stdout


def test_a_broker_and_a_galera_cluster_are_configured_as_given(plugin):
    cluster = ('rabbit://trove:pw@rabbit1:5672,trove:pw@rabbit2:5672,'
               'trove:pw@rabbit3:5672/trove-lite')
    galera = 'mysql+pymysql://trove:pw@galera-vip/trove_lite?charset=utf8'
    calls = plugin.run('stack', 'post-config',
                       TROVE_LITE_TRANSPORT_URL=cluster,
                       TROVE_LITE_RABBIT_QUORUM_QUEUE='True',
                       TROVE_LITE_DATABASE_CONNECTION=galera)

    config = written(calls, plugin.conf)
    assert config['DEFAULT']['transport_url'] == cluster
    assert config['oslo_messaging_rabbit']['rabbit_quorum_queue'] == 'True'
    assert config['database']['connection'] == galera


def test_quorum_queues_are_off_unless_asked_for(plugin):
    config = written(plugin.run('stack', 'post-config'), plugin.conf)
    assert 'oslo_messaging_rabbit' not in config
