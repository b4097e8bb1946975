"""InstanceRecords: the list query (one JSON array per row) and the single
instance query (columns) must give the same record."""

import datetime
import json

from trove_lite.db import api as db_api


def make_instance(catalogue, **values):
    values = {'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
              'datastore_version_id': catalogue.id, 'volume_size': 1,
              **values}
    return db_api.instance_create(values)


def test_list_and_get_give_the_same_record(catalogue):
    instance = make_instance(catalogue, name='ünïcode "quoted", name',
                             encrypted_key='a-key')
    keyless = make_instance(catalogue, tenant_id='other')
    db_api.instance_update(instance.id, addresses=[
        {'address': '127.0.2.7', 'type': 'private', 'network': 'local'}])

    [listed], more = db_api.instance_list('p', 10)

    assert not more
    assert listed == db_api.instance_get(instance.id)
    assert listed.name == 'ünïcode "quoted", name'
    assert listed.addresses[0]['address'] == '127.0.2.7'
    assert isinstance(listed.created, datetime.datetime)
    assert listed.datastore_name == 'mariadb'
    assert listed.encrypted_rpc_messaging
    [other], _ = db_api.instance_list('other', 10)
    assert other == db_api.instance_get(keyless.id)
    assert not other.encrypted_rpc_messaging


def test_row_as_mariadb_packs_it_is_read_back(database):
    # MariaDB embeds a JSON column as JSON and writes DATETIME as text
    # (MySQL adds microseconds); SQLite, used above, embeds it as a string.
    row = ['id-1', 'n', 'p', '2026-11-26 23:07:03',
           '2026-11-26 23:07:04.250000', '1', 2, 'LOCAL', 1, 'ACTIVE',
           [{'address': '127.0.2.9', 'type': 'private'}], None, None, 'v-1',
           33, None, None, None, 1]

    record = db_api._record_from_json(json.dumps(row))

    assert record.created == datetime.datetime(2026, 11, 26, 23, 7, 3)
    assert record.updated == datetime.datetime(2026, 11, 26, 23, 7, 4,
                                               250000)
    assert record.service_status_updated is None
    assert record.addresses == [{'address': '127.0.2.9',
                                 'type': 'private'}]
    assert record.volume_size == 2 and record.service_status_id == 33
    assert record.encrypted_rpc_messaging
