"""An instance's ``access`` on the local driver: stored, shown in every
view, and enforced for real by nftables, and by iptables in a second
deployment that is given it, on the instance's own loopback address.
Clients pick their source address (127.0.0.x) with ``bind_address``, so
one machine proves both sides of each rule."""

import os
import subprocess

import pymysql
import pytest

from tests.functional import stack as stack_module
from tests.functional.stack import wait_until
from trove_lite.compute.local import firewall
from trove_lite.compute.local import iptables

pytestmark = pytest.mark.functional

APP_PASSWORD = 'access-app-pass-1'
INSIDE = '127.0.0.5'
OTHER = '127.0.0.6'
CAN_T_CONNECT = 2003


def login_error(instance, source):
    """None when user ``app`` logs in from ``source``, else the MariaDB
    client error code (2003: the connection was refused)."""
    try:
        pymysql.connect(host=instance['ip'][0], user='app',
                        password=APP_PASSWORD, bind_address=source,
                        connect_timeout=5, ssl_disabled=True).close()
    except pymysql.err.OperationalError as error:
        return error.args[0]
    return None


@pytest.fixture(scope='module', params=['nftables', 'iptables'])
def stack(request, stack, tmp_path_factory):
    """The session's deployment (nftables, chosen by itself), and one
    forced to use iptables."""
    if request.param == 'nftables':
        yield stack
        return
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('iptables-stack')),
        overrides={'local_compute': {'firewall': 'iptables'}})
    with deployment:
        yield deployment


@pytest.fixture
def api(stack):
    return stack.api('demo')


def backend(stack):
    return firewall.choose_backend(
        stack.config()['local_compute'].get('firewall', 'auto'))


def firewall_of(stack):
    return firewall.backend_classes()[backend(stack)](
        stack.nft_table, os.path.join(stack.state_path, 'firewall.lock'))


def nft_table(stack):
    return subprocess.run(['nft', 'list', 'table', 'inet', stack.nft_table],
                          capture_output=True, text=True).stdout


def table(stack):
    """The deployment's rules as its firewall lists them."""
    if backend(stack) == 'iptables':
        return iptables.list_rules()
    return nft_table(stack)


def chain_of(stack, instance):
    return firewall_of(stack).chain_of(
        stack.server_of(instance['id'])['id'])


def uptime(instance):
    with pymysql.connect(host=instance['ip'][0], user='app',
                         password=APP_PASSWORD, bind_address=INSIDE,
                         ssl_disabled=True) as connection:
        cursor = connection.cursor()
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
        return int(cursor.fetchone()[1])


def put_access(api, instance, access):
    response = api.put(f'/instances/{instance["id"]}',
                       {'instance': {'access': access}})
    assert response.status_code == 202, response.text


def wait_access(api, instance, access):
    """Wait until the update is done; the instance stays ACTIVE all the
    time."""
    def done():
        shown = api.instance(instance['id'])
        assert shown['status'] == 'ACTIVE', shown
        return shown if (shown['access'], shown['operating_status']) == (
            access, 'HEALTHY') else None
    return wait_until(done)


@pytest.fixture(scope='module')
def private(stack):
    """An instance reachable from INSIDE only."""
    api = stack.api('demo')
    created = api.create_instance(
        name='private', users=[{'name': 'app', 'password': APP_PASSWORD}],
        access={'is_public': False,
                'allowed_cidrs': [f'{INSIDE}/32', '2001:db8::1/32']})
    assert created['access'] == {
        'is_public': False, 'allowed_cidrs': [f'{INSIDE}/32',
                                              '2001:db8::/32']}
    return api.wait_active(created['id'])


def test_access_is_shown_in_every_view(api, private):
    access = {'is_public': False,
              'allowed_cidrs': [f'{INSIDE}/32', '2001:db8::/32']}
    assert private['access'] == access
    for listing in ('/instances', '/instances/detail'):
        shown = {i['id']: i for i in api.get(listing).json()['instances']}
        assert shown[private['id']]['access'] == access


def test_a_client_outside_the_cidrs_is_refused_one_inside_gets_in(
        stack, private):
    assert login_error(private, INSIDE) is None
    assert login_error(private, OTHER) == CAN_T_CONNECT
    assert login_error(private, '127.0.0.1') == CAN_T_CONNECT
    assert chain_of(stack, private) in table(stack)
    if backend(stack) == 'iptables':
        # Enforced by iptables alone.
        assert nft_table(stack) == ''


def test_access_changes_live_and_opens_again(stack, api, private):
    before = uptime(private)
    put_access(api, private, {'allowed_cidrs': [f'{OTHER}/32']})
    wait_access(api, private, {'allowed_cidrs': [f'{OTHER}/32']})
    assert login_error(private, OTHER) is None
    assert login_error(private, INSIDE) == CAN_T_CONNECT

    put_access(api, private, {'is_public': True})
    wait_access(api, private, {'is_public': True})
    assert login_error(private, INSIDE) is None
    assert login_error(private, '127.0.0.1') is None
    assert chain_of(stack, private) not in table(stack)

    put_access(api, private, {'is_public': False,
                              'allowed_cidrs': [f'{INSIDE}/32']})
    wait_access(api, private, {'is_public': False,
                               'allowed_cidrs': [f'{INSIDE}/32']})
    assert login_error(private, OTHER) == CAN_T_CONNECT
    # Neither the server nor its datastore restarted.
    assert uptime(private) >= before


def instance_count(api):
    return len(api.get('/instances').json()['instances'])


@pytest.mark.parametrize('access, problem', [
    ({'allowed_cidrs': ['10.0.0.0/33']}, 'is not an IPv4 or IPv6 CIDR'),
    ({'allowed_cidrs': ['2001:db8::/129']}, 'is not an IPv4 or IPv6 CIDR'),
    ({'allowed_cidrs': ['10.0.0.0/8', '10.1.2.3/8']}, 'non-unique'),
    ({'allowed_cidrs': '10.0.0.0/8'}, "is not of type 'array'"),
    ({'allowed_cidrs': ['fe80::1%lo/64']}, 'is not an IPv4 or IPv6 CIDR'),
    ({'allowed_cidr': ['10.0.0.0/8']}, "'allowed_cidr' was unexpected"),
    ({'is_public': 'no'}, "is not of type 'boolean'"),
])
def test_bad_access_is_a_400_that_leaves_nothing(api, private, access,
                                                  problem):
    count = instance_count(api)
    before = api.instance(private['id'])['access']
    response = api.post('/instances', {'instance': {
        'name': 'bad', 'flavorRef': '1', 'volume': {'size': 1},
        'access': access}})
    assert response.status_code == 400, response.text
    assert problem in response.json()['badRequest']['message']
    assert instance_count(api) == count

    response = api.put(f'/instances/{private["id"]}',
                       {'instance': {'access': access}})
    assert response.status_code == 400, response.text
    shown = api.instance(private['id'])
    assert (shown['status'], shown['access']) == ('ACTIVE', before)


def test_nics_are_refused_on_the_local_driver(api):
    count = instance_count(api)
    response = api.post('/instances', {'instance': {
        'name': 'nics', 'flavorRef': '1', 'volume': {'size': 1},
        'nics': [{'net-id': 'b5a4a3f2-1111-2222-3333-444455556666'}]}})
    assert response.status_code == 400, response.text
    assert "'nics' cannot be chosen" in \
        response.json()['badRequest']['message']
    assert instance_count(api) == count


def test_the_rules_go_with_the_instance(stack, api):
    created = api.create_instance(
        name='short-lived', access={'allowed_cidrs': [f'{INSIDE}/32']})
    instance = api.wait_active(created['id'])
    chain = chain_of(stack, instance)
    assert chain in table(stack)
    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    wait_until(lambda: api.get(f'/instances/{instance["id"]}')
               .status_code == 404)
    listing = table(stack)
    assert chain not in listing
    assert instance['ip'][0] not in listing


def test_a_restarted_taskmanager_rebuilds_the_rules(stack, private):
    """As after a host reboot (the table gone) with the rules of a server
    a crash left behind: the next start puts back exactly the recorded
    ones."""
    stack.stop_service('taskmanager')
    rules = firewall_of(stack)
    rules.remove_all()
    left_behind = '0e0e0e0e-dead-4bad-8bad-0e0e0e0e0e0e'
    rules.apply(left_behind, '127.0.0.250', 3306, ['10.0.0.0/8'])
    assert rules.chain_of(left_behind) in table(stack)
    stack.start_service('taskmanager')
    wait_until(lambda: chain_of(stack, private) in table(stack), timeout=60)
    assert rules.chain_of(left_behind) not in table(stack)
    assert login_error(private, INSIDE) is None
    assert login_error(private, OTHER) == CAN_T_CONNECT
