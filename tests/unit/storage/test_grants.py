"""Storage grants: the project key they carry, the temporary URL
signatures (checked against python-swiftclient's own generate_temp_url),
and a guest's signed connection refusing whatever its grant does not
cover before anything is sent."""

import base64
import urllib.parse
from unittest import mock

import pytest
import requests_mock
from swiftclient import exceptions as swift_exceptions
from swiftclient import utils as swift_utils

from trove_lite import storage
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.storage import grants
from trove_lite.storage import swift_connection
from trove_lite.storage import swift_signed

URL = 'http://swift.example:8080/v1/AUTH_svc'
KEY = 'k' * 40


@pytest.fixture
def account(conf):
    """The control plane's Swift, as swiftclient stand-ins: every
    Connection made, by the account it acts on (None: the user's own)."""
    conf.config(storage_strategy='swift', backup_aes_cbc_key=KEY)
    conf.config(auth_strategy='tempauth', auth_url='http://x/auth/v1.0',
                username='svc:admin', password='secret', group='swift')
    made = {}

    def connection(**kwargs):
        url = kwargs['os_options']['object_storage_url']
        made[url] = made.get(url) or mock.Mock(url=None)
        made[url].get_auth.return_value = (url or URL, 'token')
        made[url].head_account.return_value = {}
        return made[url]
    grants._signers.clear()
    swift_connection._own_urls.clear()
    with mock.patch('swiftclient.Connection', side_effect=connection):
        yield made
    grants._signers.clear()
    swift_connection._own_urls.clear()


ACCOUNT_A = 'http://swift.example:8080/v1/AUTH_project-a'


def test_the_temp_url_key_is_set_once_and_signs_as_swift_checks(account):
    grant = grants.make('project-a', [('c', 'b1.xbstream', grants.WRITE)])
    # The project's own account, beside the user's.
    assert grant['url'] == ACCOUNT_A
    project_account = account[ACCOUNT_A]
    [(headers,), _] = project_account.post_account.call_args
    temp_url_key = headers[grants.TEMP_URL_KEY_HEADER]
    grants.make('project-a', [('c', 'b2.xbstream', grants.READ)])
    assert project_account.post_account.call_count == 1
    other = grants.make('project-b', [])
    assert other['url'].endswith('/AUTH_project-b')
    assert account[other['url']].post_account.call_args[0][0][
        grants.TEMP_URL_KEY_HEADER] != temp_url_key
    [scope] = grant['scopes']
    for container in ('c', 'c_segments'):
        for method in grants.WRITE:
            expected = swift_utils.generate_temp_url(
                f'/v1/AUTH_project-a/{container}/project-a/b1.xbstream',
                grant['expires'], temp_url_key, method, absolute=True,
                prefix=True)
            query = urllib.parse.parse_qs(
                urllib.parse.urlsplit(expected).query)
            assert scope['signatures'][container][method] == \
                query['temp_url_sig'][0]
    # The containers a guest writes to exist before it writes.
    assert {c.args[0] for c in project_account.put_container.call_args_list
            } == {'c', 'c_segments'}


def test_each_project_gets_its_own_key_never_the_configured_one(account):
    key_a = grants.make('project-a', [])['key']
    key_b = grants.make('project-b', [])['key']
    assert key_a and key_a != key_b
    assert KEY.encode() not in base64.b64decode(key_a)
    assert storage.get_storage('project-a', grant=grants.make(
        'project-a', [])).codec.key == base64.b64decode(key_a)


def test_a_grant_opens_only_its_own_project(account):
    grant = grants.make('project-a', [])
    with pytest.raises(exceptions.StorageAccessDenied):
        storage.get_storage('project-b', grant=grant)


def test_local_grants_carry_the_key_and_no_signature(conf):
    conf.config(storage_strategy='local', backup_aes_cbc_key=KEY)
    grant = grants.make('project-a', [('c', 'x', grants.WRITE)])
    assert grant['key'] and 'url' not in grant
    assert 'signatures' not in grant['scopes'][0]


def test_guest_configuration_holds_no_key_and_no_credentials(account):
    from trove_lite.conf import storage as storage_conf
    sections = storage_conf.guest_sections(CONF)
    text = repr(sections)
    assert KEY not in text and 'secret' not in text
    assert 'svc:admin' not in text
    assert sections['DEFAULT']['storage_strategy'] == 'swift'


def signed(account, scopes):
    grant = grants.make('project-a', scopes)
    return swift_signed.SignedConnection(grant, timeout=5, retries=0), grant


@pytest.mark.parametrize('method, container, name', [
    ('GET', 'c', 'project-b/b1.xbstream'),      # another project
    ('GET', 'other', 'project-a/b1.xbstream'),   # another container
    ('GET', 'c', 'project-a/b2.xbstream'),       # another backup
    ('PUT', 'c', 'project-a/b1.xbstream'),       # a method not granted
    ('DELETE', 'c_segments', 'project-a/b1.xbstream/.upload-x/0'),
])
def test_what_the_grant_does_not_cover_is_refused_unsent(
        account, method, container, name):
    connection, _ = signed(account, [('c', 'b1.xbstream', grants.READ)])
    call = {'GET': connection.get_object, 'PUT': lambda c, n:
            connection.put_object(c, n, b''), 'DELETE':
            connection.delete_object}[method]
    with requests_mock.Mocker() as http:
        with pytest.raises(exceptions.StorageAccessDenied):
            call(container, name)
        assert http.call_count == 0


def test_covered_requests_carry_the_prefix_signature(account):
    connection, grant = signed(account, [('c', 'b1.xbstream', grants.READ)])
    with requests_mock.Mocker() as http:
        http.head(requests_mock.ANY, headers={'Content-Type': 'x'})
        connection.head_object('c_segments',
                               'project-a/b1.xbstream/.upload-1/00000000')
        [request] = http.request_history
    assert request.path == ('/v1/auth_project-a/c_segments/project-a/'
                            'b1.xbstream/.upload-1/00000000')
    assert request.qs == {
        'temp_url_sig': [grant['scopes'][0]['signatures']['c_segments']
                         ['GET']],
        'temp_url_expires': [str(grant['expires'])],
        'temp_url_prefix': ['project-a/b1.xbstream']}


def test_a_refusal_by_swift_is_a_client_exception(account):
    connection, _ = signed(account, [('c', 'b1', grants.READ)])
    with requests_mock.Mocker() as http:
        http.get(requests_mock.ANY, status_code=401, text='Temp URL invalid')
        with pytest.raises(swift_exceptions.ClientException) as raised:
            connection.get_object('c', 'project-a/b1')
    assert raised.value.http_status == 401
