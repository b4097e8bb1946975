"""The guest's database logs with a recording server and the real local
storage: statuses, the switch set live and kept for later starts,
publishing only what is new (a rotated file from its start), discarding,
and logs kept within their size."""

import contextlib
import json

import pytest

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.guestagent.datastore import mysql_logs
from trove_lite.storage import local

INSTANCE = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'
PROJECT = 'demo'


class Server:
    def __init__(self, log_dir):
        self.log_dir = str(log_dir)
        self.statements = []
        self.options_written = 0

    @contextlib.contextmanager
    def admin_connection(self):
        server = self

        class Cursor:
            def execute(self, statement, params=()):
                server.statements.append((statement, params))

        class Connection:
            def cursor(self):
                return Cursor()

        yield Connection()

    def write_options(self):
        self.options_written += 1


@pytest.fixture
def store(conf, tmp_path):
    conf.config(storage_local_path=str(tmp_path / 'store'))
    return local.LocalStorage(PROJECT, CONF)


@pytest.fixture
def logs(tmp_path, store):
    (tmp_path / 'log').mkdir()
    return mysql_logs.GuestLogs(Server(tmp_path / 'log'), INSTANCE,
                                'mariadb', str(tmp_path / 'logs.json'),
                                lambda project, grant=None:
                                local.LocalStorage(project, CONF, grant))


def append(logs, name, text):
    with open(logs._path(name), 'a') as log:
        log.write(text)


def published_text(store, name):
    prefix = mysql_logs.log_prefix(INSTANCE, 'mariadb', name)
    parts = store.list('database_logs', prefix)
    text = b''
    for info in parts:
        with store.load(info.location) as reader:
            text += b''.join(reader)
    return parts, text.decode()


def test_every_log_is_listed_with_trove_fields(logs):
    views = {view['name']: view for view in logs.list(PROJECT)}
    assert set(views) == {'general', 'slow_query', 'error'}
    assert views['general'] == {
        'name': 'general', 'type': 'USER', 'status': 'Disabled',
        'published': 0, 'pending': 0, 'container': 'database_logs',
        'prefix': f'{PROJECT}/{INSTANCE}/mariadb-general/',
        'metafile': f'{PROJECT}/{INSTANCE}/mariadb-general_metafile'}
    assert (views['error']['type'], views['error']['status']) == (
        'SYS', 'Ready')


def test_enable_sets_the_switch_live_and_for_later_starts(logs):
    view = logs.action('slow_query', PROJECT, enable=True)

    assert view['status'] == 'Enabled'
    assert logs.server.statements == [
        ('SET GLOBAL slow_query_log = %s', ('ON',))]
    assert logs.server.options_written == 1
    assert logs.enabled_switches() == ['slow_query_log']

    logs.action('slow_query', PROJECT, disable=True)
    assert logs.server.statements[-1] == (
        'SET GLOBAL slow_query_log = %s', ('OFF',))
    assert logs.enabled_switches() == []


def test_the_error_log_is_always_on(logs):
    with pytest.raises(exceptions.BadRequest, match='system log'):
        logs.action('error', PROJECT, disable=True)


def test_an_unknown_log_is_refused(logs):
    with pytest.raises(exceptions.BadRequest, match='does not exist'):
        logs.action('audit', PROJECT)


def test_publish_uploads_only_what_is_new(logs, store):
    logs.action('general', PROJECT, enable=True)
    append(logs, 'general', 'one\ntwo\n')
    assert logs.action('general', PROJECT)['pending'] == 8

    view = logs.action('general', PROJECT, publish=True)
    assert (view['status'], view['published'], view['pending']) == (
        'Published', 8, 0)
    append(logs, 'general', 'three\n')
    assert logs.action('general', PROJECT)['status'] == 'Partial'
    logs.action('general', PROJECT, publish=True)

    parts, text = published_text(store, 'general')
    assert text == 'one\ntwo\nthree\n'
    assert [store.get_info(info.location).metadata for info in parts] == [
        {'lines': '2'}, {'lines': '1'}]
    meta = store.location('database_logs', mysql_logs.metafile_name(
        INSTANCE, 'mariadb', 'general'))
    with store.load(meta) as reader:
        assert json.loads(b''.join(reader))['published'] == 14


def test_a_rotated_log_is_published_from_its_start(logs, store):
    append(logs, 'error', 'a long first line\n')
    logs.action('error', PROJECT, publish=True)
    open(logs._path('error'), 'w').write('new\n')

    logs.action('error', PROJECT, publish=True)

    assert published_text(store, 'error')[1].endswith('new\n')


def test_discard_removes_every_published_part(logs, store):
    append(logs, 'error', 'x\n')
    logs.action('error', PROJECT, publish=True)

    view = logs.action('error', PROJECT, discard=True)

    assert published_text(store, 'error')[0] == []
    assert store.list('database_logs', f'{INSTANCE}/') == []
    assert view['status'] == 'Ready'


def test_a_log_past_its_size_keeps_its_newest_half(logs, conf):
    conf.config(guest_log_max_size=100, group='guest_agent')
    append(logs, 'error', 'o' * 150 + 'n' * 50)
    logs.trim_all()
    assert open(logs._path('error')).read() == 'n' * 50
