"""Backup policies and point-in-time restore on the real stack: guests
archive their binary log to the real Swift of tools/swift.sh, the
taskmanager takes and expires automated backups on a shortened day, and
new instances restore to a chosen second. Rows are compared where a
tenant sees them, in the instances' own MariaDB.

Every service (guests included) runs in a time zone far from UTC, so a
time taken in the wrong zone shows as hours of rows too many or too few.
"""

import datetime
import json
import os
import signal
import time

import pytest

from tests.functional import api_ref
from tests.functional import backup_helpers
from tests.functional import clients
from tests.functional import stack as stack_module
from tests.functional.backup_helpers import execute
from tests.functional.backup_helpers import insert
from tests.functional.backup_helpers import next_second
from tests.functional.backup_helpers import rows
from tests.functional.stack import wait_until
from trove_lite import storage
from trove_lite.datastore import mysql_config

pytestmark = pytest.mark.functional

ARCHIVE_INTERVAL = 3
# A day of the backup policies, in seconds: an automated backup a
# "day", retention in "days".
DAY = 40
LONG_RETENTION = 35
# Far from now, so only the automation test takes automated backups.
QUIET_WINDOW = '{:02d}:00-{:02d}:00'


@pytest.fixture(scope='module')
def stack(tmp_path_factory, swift_server):
    zone = os.environ.get('TZ')
    os.environ['TZ'] = 'Pacific/Kiritimati'  # UTC+14
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('pitr')), overrides={
            'DEFAULT': {'periodic_interval': '2',
                        'storage_strategy': 'swift',
                        'binlog_archive_interval': str(ARCHIVE_INTERVAL),
                        'backup_policy_day': str(DAY)},
            'swift': swift_server.options()})
    try:
        with deployment:
            yield deployment
    finally:
        if zone is None:
            os.environ.pop('TZ', None)
        else:
            os.environ['TZ'] = zone


@pytest.fixture
def api(stack):
    return stack.api('demo')


@pytest.fixture(scope='module')
def store(swift_server):
    return storage.get_storage('demo', swift_server.conf())


def quiet_window():
    hour = (datetime.datetime.now(datetime.UTC).hour + 6) % 24
    return QUIET_WINDOW.format(hour, (hour + 1) % 24)


def iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def epoch(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(
        tzinfo=datetime.UTC).timestamp()


def make_instance(api, name, retention=LONG_RETENTION, window=None):
    return backup_helpers.make_instance(
        api, name, timeout=120, backup_policy={
            'retention_days': retention, 'window': window or quiet_window()})


def backup_completed(api, instance, name):
    return backup_helpers.backup_completed(api, instance, name, timeout=120)


def restorable(api, instance_id):
    return api.instance(instance_id).get('restorable')


def wait_archived(api, instance_id, second, timeout=60):
    """Wait until the instance restores to ``second``; its window."""
    return wait_until(lambda: (lambda r: r if r and epoch(r['latest'])
                               >= second else None)(
        restorable(api, instance_id)), timeout=timeout, interval=0.3)


def restore_to(api, source_id, second, name):
    created = api.create_instance(name=name, restorePoint={
        'instanceRef': source_id, 'restoreTime': iso(second)})
    return api.wait_active(created['id'], timeout=180)


def check_sample(title, actual, request=None):
    """The documented call ``title`` answers as its samples (the calls
    the sample run leaves to this test)."""
    call = api_ref.documented_calls()[title]
    assert title in api_ref.CHECKED_ELSEWHERE
    for sample, body in ((call.request, request), (call.response, actual)):
        if sample and body is not None:
            problems = api_ref.differences(api_ref.load_sample(sample),
                                           body)
            assert not problems, (title, sample, problems)


def archive_manifest(store, instance_id):
    location = store.location('database_backups',
                              f'binlogs/{instance_id}/manifest.json')
    with store.load(location) as reader:
        return json.loads(reader.read())


def test_restore_to_a_second_and_to_the_latest(stack, api, store):
    source = make_instance(api, 'pitr-source')
    shown = api.instance(source['id'])
    assert shown['backup_policy']['retention_days'] == LONG_RETENTION
    insert(source, 1, 50, 'before')
    backup_completed(api, source, 'base')
    insert(source, 100, 20, 't1')
    execute(source, "UPDATE t SET note = 'changed at t1' WHERE id <= 5")
    t1_rows = rows(source)
    t1 = next_second()
    # t2: more rows, a bad DELETE, an update.
    insert(source, 200, 30, 't2')
    execute(source, 'DELETE FROM t WHERE id BETWEEN 1 AND 40',
            "UPDATE t SET note = 'changed at t2' WHERE id >= 100")
    final_rows = rows(source)
    written = next_second()
    window = wait_archived(api, source['id'], written,
                           timeout=ARCHIVE_INTERVAL + 30)
    assert epoch(window['earliest']) <= t1

    shown = api.get(f'/instances/{source["id"]}').json()
    check_sample('Show instance with a backup policy', shown)
    body = {'instance': {'name': 'pitr-t1', 'flavorRef': '1',
                         'volume': {'size': 1},
                         'datastore': {'type': 'mariadb',
                                       'version': stack.version_name},
                         'restorePoint': {'instanceRef': source['id'],
                                          'restoreTime': iso(t1)}}}
    response = api.post('/instances', body)
    assert response.status_code == 200, response.text
    check_sample('Restore instance to a point in time', response.json(),
                 request=body)
    at_t1 = api.wait_active(response.json()['instance']['id'],
                            timeout=180)
    assert rows(at_t1) == t1_rows
    assert len(t1_rows) == 70

    # The CLI, by the source's name, to the latest second.
    restored = clients.trove_lite(
        stack, 'demo', 'instance', 'restore', 'pitr-source', '--to-time',
        window['latest'], '--name', 'pitr-latest', '--wait', '-f', 'json',
        timeout=300)
    assert restored.code == 0, restored.stderr
    at_latest = api.wait_active(json.loads(restored.stdout)['id'])
    assert rows(at_latest) == final_rows
    # The archive lists each file with its times and GTIDs.
    manifest = archive_manifest(store, source['id'])
    assert manifest['files'] and manifest['covered_until'] >= written
    last = manifest['files'][-1]
    assert last['first_time'] <= last['last_time']
    # Domain 0, the source's own server id (datastore.mysql_config).
    assert last['last_gtid'].startswith(
        f"0-{mysql_config.server_id_of(source['id'])}-")


def test_latest_point_trails_commits_by_at_most_the_interval(stack, api):
    source = make_instance(api, 'pitr-trail')
    insert(source, 1, 10)
    backup_completed(api, source, 'base')
    # Commits keep coming; the restorable end keeps up with them.
    committed = {}
    lags = []
    deadline = time.monotonic() + 6 * ARCHIVE_INTERVAL
    number = 1000
    while time.monotonic() < deadline:
        before = time.time()
        insert(source, number, 1, 'stream')
        committed[number] = (before, time.time())
        number += 1
        window = restorable(api, source['id'])
        if window:
            lags.append(time.time() - epoch(window['latest']))
        time.sleep(0.2)
    # Archive pass every interval, reported at once; on a loaded machine
    # (load 10) a pass, its upload and this loop's requests take seconds
    # more. Without the archiver the lag would grow past the loop's 18 s.
    assert lags and min(lags) <= 2 * ARCHIVE_INTERVAL + 5, lags
    assert sorted(lags)[len(lags) // 2] <= 3 * ARCHIVE_INTERVAL + 8, lags
    latest = epoch(restorable(api, source['id'])['latest'])
    restored = restore_to(api, source['id'], latest, 'pitr-trail-r')
    got = {row[0] for row in rows(restored) if row[0] >= 1000}
    # Exactly the commits of the seconds up to the latest point (a
    # statement counts at the second it began: one that straddled a
    # second may be either side).
    assert {n for n, (_, after) in committed.items()
            if int(after) <= latest} <= got
    assert not {n for n, (before, _) in committed.items()
                if int(before) > latest} & got
    assert got


def test_guest_killed_between_archives_restores_to_its_last_second(
        stack, api):
    source = make_instance(api, 'pitr-killed')
    insert(source, 1, 10)
    backup_completed(api, source, 'base')
    insert(source, 100, 10, 'archived')
    archived_rows = rows(source)
    written = next_second()
    latest = epoch(wait_archived(api, source['id'], written,
                                 timeout=ARCHIVE_INTERVAL + 30)['latest'])
    # Right after a pass: these rows are not archived yet when the
    # guest (agent and server) dies.
    insert(source, 500, 10, 'lost')
    os.killpg(stack.server_of(source['id'])['pid'], signal.SIGKILL)
    time.sleep(ARCHIVE_INTERVAL + 2)
    window = restorable(api, source['id'])
    assert epoch(window['latest']) < latest + ARCHIVE_INTERVAL + 1
    last = epoch(window['latest'])
    restored = restore_to(api, source['id'], last, 'pitr-killed-r')
    got = rows(restored)
    assert [row for row in got if row[0] < 500] == list(archived_rows)
    # Only what was archived before the kill.
    assert all(row[0] < 500 for row in got) or last > latest


def test_deleted_source_restores_within_its_retention(stack, api):
    source = make_instance(api, 'pitr-gone')
    insert(source, 1, 25)
    backup_completed(api, source, 'base')
    wait_archived(api, source['id'], int(time.time()),
                  timeout=ARCHIVE_INTERVAL + 30)
    insert(source, 100, 5, 'last')
    expected = rows(source)
    written = next_second()
    # Deleted at once: the guest archives its last commits first.
    assert api.delete(f'/instances/{source["id"]}').status_code == 202
    api.wait_gone(source['id'])

    def restore_once():
        response = api.post('/instances', {'instance': {
            'name': 'pitr-gone-r', 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'mariadb'},
            'restorePoint': {'instanceRef': source['id'],
                             'restoreTime': iso(written)}}})
        # The conductor may apply the last report a moment later (more
        # than a moment on a loaded machine).
        assert response.status_code in (200, 400), response.text
        return response.json()['instance'] \
            if response.status_code == 200 else None

    created = wait_until(restore_once, timeout=60, interval=1)
    restored = api.wait_active(created['id'], timeout=180)
    assert rows(restored) == expected


def test_automated_backups_are_taken_and_expired(stack, api, store):
    now = datetime.datetime.now(datetime.UTC)
    window = f'{now.hour:02d}:00-{(now.hour + 2) % 24:02d}:00'
    source = make_instance(api, 'pitr-auto', retention=1, window=window)

    def automated():
        return [b for b in api.get(
            f'/instances/{source["id"]}/backups').json()['backups']
            if b['name'].startswith('automated ')]

    first = wait_until(lambda: [b for b in automated()
                                if b['status'] == 'COMPLETED'],
                       timeout=DAY + 60, interval=1)[0]
    # A day later the next one is taken and, past the one-day
    # retention, the first expires.
    wait_until(lambda: api.get(f'/backups/{first["id"]}').status_code ==
               404, timeout=3 * DAY + 60, interval=1)
    wait_until(lambda: [b for b in automated()
                        if b['status'] == 'COMPLETED'], timeout=60,
               interval=1)
    # A manual backup stays past the retention.
    manual = backup_completed(api, source, 'manual')
    time.sleep(DAY + 10)
    assert api.get(f'/backups/{manual["id"]}').status_code == 200
    # The archive keeps only what the kept backups need.
    manifest = archive_manifest(store, source['id'])
    assert 'mysql-bin.000001' not in [f['name'] for f in manifest['files']]
    assert manifest['expired_until']


def test_bad_policies_and_restore_points_are_refused(stack, api):
    source = make_instance(api, 'pitr-bad')
    count = len(api.get('/instances').json()['instances'])
    base = {'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'mariadb'}}
    for policy in ({'retention_days': 0, 'window': '01:00-02:00'},
                   {'retention_days': 36, 'window': '01:00-02:00'},
                   {'retention_days': True, 'window': '01:00-02:00'},
                   {'retention_days': 1, 'window': '25:00-02:00'},
                   {'retention_days': 1, 'window': '1:00-2:00'},
                   {'retention_days': 1},
                   {'retention_days': 1, 'window': '01:00-02:00', 'x': 1},
                   'daily'):
        response = api.post('/instances', {'instance': dict(
            base, backup_policy=policy)})
        assert response.status_code == 400, (policy, response.text)
        assert response.json()['badRequest']['code'] == 400
        response = api.put(f'/instances/{source["id"]}', {
            'instance': {'backup_policy': policy}})
        assert response.status_code == 400, (policy, response.text)
    now = time.time()
    window = restorable(api, source['id'])
    for point, code, words in (
            ({'instanceRef': source['id'], 'restoreTime': 'yesterday'},
             400, 'ISO 8601'),
            ({'instanceRef': source['id']}, 400, 'restoreTime'),
            ({'instanceRef': source['id'], 'restoreTime': iso(now + 3600),
              'backupRef': source['id']}, 400, 'not both'),
            ({'instanceRef': source['id'], 'restoreTime': iso(now + 3600)},
             400, 'window' if window else 'cannot be restored'),
            ({'instanceRef': '00000000-0000-4000-8000-000000000000',
              'restoreTime': iso(now)}, 404, '')):
        response = api.post('/instances', {'instance': dict(
            base, restorePoint=point)})
        assert response.status_code == code, (point, response.text)
        assert words in response.text
    # Another project cannot restore this instance, nor see it.
    other = stack.api('other')
    response = other.post('/instances', {'instance': dict(
        base, restorePoint={'instanceRef': source['id'],
                            'restoreTime': iso(now)})})
    assert response.status_code == 404, response.text
    assert len(api.get('/instances').json()['instances']) == count
    # The binary log cannot be switched off by a configuration group.
    for values in ({'binlog_format': 'STATEMENT'}, {'log_bin': 0},
                   {'sql_log_bin': 0}, {'gtid_strict_mode': 1}):
        response = api.post('/configurations', {'configuration': {
            'name': 'no-binlog', 'values': values,
            'datastore': {'type': 'mariadb'}}})
        assert response.status_code == 400, response.text
        assert 'binary log' in response.json()['badRequest']['message']
    # A guest speaks for its own archive only, in order, and not for a
    # time to come; a report not sealed with the instance's key is
    # dropped.
    def archived_until():
        return stack.query('SELECT archived_until FROM backup_policies '
                           'WHERE instance_id=%s', source['id'])[0][0]

    wait_until(archived_until, timeout=ARCHIVE_INTERVAL + 30)
    now = time.time()
    for key, until, sent in (('', now - 1, now + 50),
                             (None, now + 3600, now + 50),
                             (None, now - 2 * 86400, 1.0)):
        stack.cast_to_conductor('update_binlog_archive', key=key,
                                instance_id=source['id'], since=now - 9e5,
                                until=until, sent=sent)
    time.sleep(2)
    latest = archived_until().replace(tzinfo=datetime.UTC).timestamp()
    assert now - 3 * ARCHIVE_INTERVAL - 30 < latest <= time.time()
    # The policy goes away and comes back (through the CLI).
    assert api.put(f'/instances/{source["id"]}', {'instance': {
        'backup_policy': None}}).status_code == 202
    assert 'restorable' not in api.instance(source['id'])
    done = clients.trove_lite(stack, 'demo', 'instance', 'set', 'pitr-bad',
                              '--backup-retention-days', '2',
                              '--backup-window', '03:00-04:00')
    assert done.code == 0, done.stderr
    assert api.instance(source['id'])['backup_policy'] == {
        'retention_days': 2, 'window': '03:00-04:00'}
    shown = clients.trove_lite(stack, 'demo', 'instance', 'show',
                               'pitr-bad', '-f', 'json')
    assert json.loads(shown.stdout)['backup_window'] == '03:00-04:00'
    refused = clients.trove_lite(stack, 'demo', 'instance', 'set',
                                 'pitr-bad', '--backup-window',
                                 '03:00-04:00')
    assert refused.code == 1 and 'both' in refused.stderr
