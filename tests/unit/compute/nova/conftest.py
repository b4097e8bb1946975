"""A cloud at the wire: Keystone, Nova, Cinder and Neutron answering with
exchanges recorded from their API references (``fixtures/*.json``).

Each fixture names its service, method and path; the base URLs are the
ones in the recorded token's catalog. Unregistered requests fail the test
(requests-mock raises NoMockAddress), so every call the driver makes is
one a test expected.
"""

import json
import pathlib
import urllib.parse

import pytest
import requests_mock

from trove_lite.conf import CONF

FIXTURES = pathlib.Path(__file__).parent / 'fixtures'

BASE_URLS = {
    'identity': 'http://keystone.example/identity',
    'compute': 'http://nova.example/compute/v2.1',
    'volumev3': ('http://cinder.example/volume/v3/'
                 '89afd400-b646-4bbc-b12b-c0a4d63e5bd3'),
    'network': 'http://neutron.example/networking',
}

SERVER_ID = 'f5dc173b-6804-445a-a6d8-c705dad5b5eb'
VOLUME_ID = '2b955850-f177-45f7-9f49-ecb2c256d161'
SECURITY_GROUP_ID = '2076db17-a522-4506-91de-c6dd8e837028'
IMAGE_ID = '70a599e0-31e7-49b7-b260-868f441e862b'
SERVICE_PASSWORD = 'svc-pass-7f3a'


def recorded(name):
    """One recorded exchange."""
    return json.loads((FIXTURES / f'{name}.json').read_text())


def _response(exchange):
    response = exchange['response']
    answer = {'status_code': response['status'],
              'headers': response['headers']}
    if 'json' in response:
        answer['json'] = response['json']
    return answer


class Cloud:
    """The mocked cloud: register recorded answers, read what was sent."""

    def __init__(self, mocker):
        self.mocker = mocker
        self.answer('keystone_version')
        self.answer('keystone_token')

    def answer(self, *names):
        """Answer the fixtures' request with their responses in turn (the
        last one repeats); all must share one method and path."""
        exchanges = [recorded(name) for name in names]
        first = exchanges[0]['request']
        assert all((e['request']['method'], e['request']['path']) ==
                   (first['method'], first['path']) for e in exchanges)
        url = BASE_URLS[exchanges[0]['service']] + first['path']
        self.mocker.register_uri(first['method'], url,
                                 [_response(e) for e in exchanges])

    def sent(self, service=None, method=None):
        """(method, path with query, json body or None, headers) of each
        request, oldest first, optionally of one service or method."""
        calls = []
        for request in self.mocker.request_history:
            name, base = next(
                (name, base) for name, base in BASE_URLS.items()
                if request.url.startswith(base))
            if service not in (None, name) or method not in (
                    None, request.method):
                continue
            path = request.url[len(base):]
            body = request.json() if request.body else None
            calls.append((request.method, urllib.parse.unquote(path), body,
                          request.headers))
        return calls

    def paths(self, service=None):
        return [(method, path) for method, path, _, _ in
                self.sent(service)]


@pytest.fixture
def config():
    """Set options for one test; all are reset afterwards."""
    touched = []

    def set_option(name, value, group=None):
        CONF.set_override(name, value, group)
        touched.append((name, group))

    yield set_option
    for name, group in touched:
        CONF.clear_override(name, group)


@pytest.fixture
def cloud(config):
    config('auth_url', BASE_URLS['identity'] + '/v3', 'service_credentials')
    config('username', 'trove-lite', 'service_credentials')
    config('password', SERVICE_PASSWORD, 'service_credentials')
    config('project_name', 'service', 'service_credentials')
    config('status_poll_interval', 0.001, 'nova_compute')
    config('server_boot_timeout', 1, 'nova_compute')
    config('volume_time_out', 1)
    config('server_delete_time_out', 1)
    with requests_mock.Mocker() as mocker:
        yield Cloud(mocker)


def same_shape(sent, documented):
    """Whether every key ``sent`` uses is one the reference documents
    (recursively; a list item may match any documented item; ``metadata``
    takes any keys)."""
    if isinstance(sent, dict) and isinstance(documented, dict):
        return all(key in documented and (
            key == 'metadata' or same_shape(value, documented[key]))
            for key, value in sent.items())
    if isinstance(sent, list) and isinstance(documented, list):
        return all(any(same_shape(item, example) for example in documented)
                   for item in sent)
    return True
