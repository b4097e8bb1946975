"""The binlog archive's reading of binlog files and of its manifest."""

import struct

import pytest

from trove_lite.guestagent.datastore import mysql_binlog

_HEADER = struct.Struct('<IBIIIH')


def event(when, kind, body=b'', server_id=1):
    return _HEADER.pack(when, kind, server_id, _HEADER.size + len(body), 0,
                        0) + body


def gtid(when, sequence, domain=0):
    return event(when, 162, struct.pack('<QIB', sequence, domain, 0) +
                 b'\0' * 6)


def write(tmp_path, *events, tail=b''):
    path = tmp_path / 'mysql-bin.000001'
    path.write_bytes(b'\xfebin' + b''.join(events) + tail)
    return str(path)


def test_a_file_gives_its_event_times_and_gtid_range(tmp_path):
    path = write(tmp_path, event(100, 15, b'x' * 40), gtid(105, 7),
                 event(105, 16, b'x' * 8), gtid(109, 8), event(110, 16),
                 # An event still being written ends the walk.
                 tail=_HEADER.pack(200, 2, 1, 500, 0, 0) + b'partial')
    info = mysql_binlog.read_file_info(path)
    assert (info.first_time, info.last_time) == (100, 110)
    assert (info.first_gtid, info.last_gtid) == ('0-1-7', '0-1-8')
    assert info.transactions == 2


def test_a_file_without_transactions_has_none(tmp_path):
    info = mysql_binlog.read_file_info(write(tmp_path, event(100, 15)))
    assert info.transactions == 0 and info.first_gtid is None


def test_what_is_not_a_binlog_is_refused(tmp_path):
    path = tmp_path / 'other'
    path.write_bytes(b'not a binlog')
    with pytest.raises(ValueError):
        mysql_binlog.read_file_info(str(path))
    for name in ('mysql-bin.index', '../mysql-bin.000001', 'x.000001',
                 None):
        with pytest.raises(ValueError):
            mysql_binlog.file_number(name)
    assert mysql_binlog.file_number('mysql-bin.000012') == 12


def entry(number, first):
    return {'name': f'mysql-bin.{number:06d}', 'first_time': first,
            'last_time': first + 5}


def test_the_archived_span_starts_after_the_last_gap():
    manifest = {'files': [entry(1, 10), entry(2, 20), entry(4, 40),
                          entry(5, 50)], 'covered_until': 60}
    assert mysql_binlog.archived_span(manifest) == (40, 60)
    manifest['files'] = manifest['files'][2:3]
    assert mysql_binlog.archived_span(manifest) == (40, 60)
    assert mysql_binlog.archived_span({'files': [],
                                       'covered_until': 60}) is None
    assert mysql_binlog.archived_span({'files': [entry(1, 10)],
                                       'covered_until': None}) is None


def test_an_expired_archive_restores_from_the_last_file_removed():
    manifest = {'files': [entry(3, 40), entry(4, 50)],
                'covered_until': 60, 'expired_until': 35}
    assert mysql_binlog.archived_span(manifest) == (35, 60)
    manifest['files'] = []
    assert mysql_binlog.archived_span(manifest) == (35, 60)
