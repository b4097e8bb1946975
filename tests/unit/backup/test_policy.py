"""Backup policies: the request's validation, the window, the guest's
archive report."""

import datetime
import time

import pytest

from trove_lite.api import validation
from trove_lite.common import exceptions
from trove_lite.instance import backup_policy as policy
from trove_lite.records.backup import BackupPolicy


def record(start, end):
    now = datetime.datetime(2026, 12, 6)
    return BackupPolicy('i', 'p', 7, start, end, None, None, None, None,
                        now, now)


def test_a_policy_is_parsed_to_minutes_of_the_utc_day():
    parsed = validation.backup_policy(
        {'retention_days': 7, 'window': '22:30-01:15'}, 'p')
    assert (parsed.retention_days, parsed.window_start,
            parsed.window_end) == (7, 22 * 60 + 30, 75)
    assert validation.backup_policy(None, 'p') is None


@pytest.mark.parametrize('value', [
    {'retention_days': 0, 'window': '01:00-02:00'},
    {'retention_days': 36, 'window': '01:00-02:00'},
    {'retention_days': '7', 'window': '01:00-02:00'},
    {'retention_days': True, 'window': '01:00-02:00'},
    {'retention_days': 7, 'window': '24:00-02:00'},
    {'retention_days': 7, 'window': '01:60-02:00'},
    {'retention_days': 7, 'window': '1:00-2:00'},
    {'retention_days': 7, 'window': '01:00-02:00\n'},
    {'retention_days': 7, 'window': 100},
    {'retention_days': 7},
    {'window': '01:00-02:00'},
    {'retention_days': 7, 'window': '01:00-02:00', 'extra': 1},
    [], 'daily'])
def test_bad_policies_are_refused(value):
    with pytest.raises(exceptions.ValidationError):
        validation.backup_policy(value, 'p')


def test_times_are_taken_to_the_utc_second():
    assert validation.utc_time('2026-12-06T10:15:30.9Z', 't') == \
        datetime.datetime(2026, 12, 6, 10, 15, 30)
    assert validation.utc_time('2026-12-06T12:15:30+02:00', 't') == \
        datetime.datetime(2026, 12, 6, 10, 15, 30)
    # No offset: UTC.
    assert validation.utc_time('2026-12-06 10:15:30', 't') == \
        datetime.datetime(2026, 12, 6, 10, 15, 30)
    for bad in ('yesterday', '', 5, None, '2026-13-01T00:00:00Z'):
        with pytest.raises(exceptions.ValidationError):
            validation.utc_time(bad, 't')


def test_the_window_wraps_past_midnight_and_equal_ends_are_all_day():
    night = record(22 * 60, 2 * 60)
    assert night.window == '22:00-02:00'
    assert night.in_window(23 * 60) and night.in_window(60)
    assert not night.in_window(2 * 60) and not night.in_window(12 * 60)
    day = record(60, 120)
    assert day.in_window(60) and not day.in_window(120)
    assert all(record(300, 300).in_window(m) for m in (0, 300, 1439))


def test_an_archive_report_cannot_be_reversed_or_ahead_of_now():
    now = int(time.time())
    since, until = policy.archive_span(now - 100, now - 1)
    assert until - since == datetime.timedelta(seconds=99)
    for bad in ((now, now - 10), (now, now + 3600), ('1', now),
                (True, now), (None, now)):
        with pytest.raises((TypeError, ValueError)):
            policy.archive_span(*bad)


def create_body(**extra):
    return {'instance': dict({'name': 'n', 'flavorRef': '1'}, **extra)}


def test_a_restore_point_is_a_backup_or_an_instance_at_a_second():
    from trove_lite.api.controllers.v1 import instances
    by_backup = instances.parse_create(create_body(
        restorePoint={'backupRef': 'b'}))
    assert (by_backup.backup_id, by_backup.restore_instance_id) == ('b',
                                                                   None)
    at_time = instances.parse_create(create_body(
        restorePoint={'instanceRef': 'i',
                      'restoreTime': '2026-12-06T10:00:00Z'},
        backup_policy={'retention_days': 3, 'window': '01:00-02:00'}))
    assert at_time.backup_id is None
    assert at_time.restore_instance_id == 'i'
    assert at_time.restore_time == datetime.datetime(2026, 12, 6, 10)
    assert at_time.backup_policy.retention_days == 3
    for point in ({'instanceRef': 'i'}, {'restoreTime': 'x'},
                  {'backupRef': 'b', 'instanceRef': 'i',
                   'restoreTime': '2026-12-06T10:00:00Z'},
                  {'instanceRef': 'i', 'restoreTime': 'soon'}, {}):
        with pytest.raises(exceptions.ValidationError):
            instances.parse_create(create_body(restorePoint=point))


def test_an_update_sets_or_removes_the_policy():
    from trove_lite.api.controllers.v1 import instances
    update = instances.parse_update({'instance': {'backup_policy': {
        'retention_days': 1, 'window': '00:00-00:00'}, 'name': 'x'}})
    assert update.set_policy and update.name == 'x'
    assert update.backup_policy.window_start == 0
    removed = instances.parse_update({'instance': {'backup_policy': None}})
    assert removed.set_policy and removed.backup_policy is None
    assert removed.configuration is None
    with pytest.raises(exceptions.BadRequest):
        instances.parse_update({'instance': {'backup_policy': None,
                                             'configuration': 'g'}})


@pytest.mark.parametrize('name', ['log_bin', 'log-bin', 'binlog_format',
                                  'sql_log_bin', 'gtid_strict_mode',
                                  'server_id', 'expire_logs_days',
                                  'max_binlog_size', 'sync_binlog',
                                  'log_slave_updates', 'BINLOG_FORMAT'])
def test_configuration_groups_cannot_name_the_binary_log(name):
    import types

    from trove_lite.configuration import validation as group_validation
    known = [types.SimpleNamespace(name='max_connections')]
    with pytest.raises(exceptions.BadRequest) as raised:
        group_validation.check_values({name: 'OFF'}, known, 'mariadb',
                                      '10.11')
    assert raised.value.code == 400
