"""Quotas and limits through the API (noauth, SQLite): Trove's shapes
and faults, usage taken with the instance rows and freed by deletes."""

import pytest
import sqlalchemy.exc

from tests.unit import db_fixtures
from tests.unit.api.test_app import call
from tests.unit.api.test_app import create_body
from trove_lite import db
from trove_lite.api import app as api_app
from trove_lite.catalogue import api as catalogue_api
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import quotas
from trove_lite.quota import api as quota
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi

ADMIN = {'X-Roles': 'admin'}


@pytest.fixture
def casts(monkeypatch):
    sent = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, ctx, spec: sent.append(spec.name))
    monkeypatch.setattr(taskmanager_rpcapi.API, 'delete_instance',
                        lambda self, ctx, instance_id: sent.append(
                            instance_id))
    return sent


@pytest.fixture
def app(catalogue, casts):
    return api_app.setup_app()


def in_use(project='p1'):
    return {resource: used for resource, used, _ in quota.get_usages(project)}


def test_show_lists_every_resource_with_defaults(app):
    response = call(app, 'GET', '/v1.0/p1/mgmt/quotas/p1')
    assert response.status_int == 200
    assert response.json == {'quotas': [
        {'resource': 'instances', 'in_use': 0, 'reserved': 0, 'limit': 10},
        {'resource': 'ram', 'in_use': 0, 'reserved': 0, 'limit': -1},
        {'resource': 'backups', 'in_use': 0, 'reserved': 0, 'limit': 50},
        {'resource': 'volumes', 'in_use': 0, 'reserved': 0, 'limit': 40}]}


def test_defaults_come_from_trove_s_options(app, conf):
    conf.config(max_instances_per_tenant=3, max_ram_per_tenant=4096,
                max_volumes_per_tenant=7, max_backups_per_tenant=0)
    limits = call(app, 'GET', '/v1.0/p1/limits').json['limits']
    assert limits[0] == {'verb': 'ABSOLUTE', 'max_instances': 3,
                         'max_ram': 4096, 'max_backups': 0,
                         'max_volumes': 7}
    assert list(limits[0]) == ['verb', 'max_instances', 'max_ram',
                               'max_backups', 'max_volumes']


def test_only_admins_see_other_projects_and_set_quotas(app):
    response = call(app, 'GET', '/v1.0/p1/mgmt/quotas/p2')
    assert response.status_int == 403
    assert response.json['forbidden']['message'] == (
        'Operation not allowed for tenant p1.')
    assert call(app, 'GET', '/v1.0/p1/mgmt/quotas/p2',
                **ADMIN).status_int == 200
    response = call(app, 'PUT', '/v1.0/p1/mgmt/quotas/p1',
                    {'quotas': {'instances': 5}})
    assert response.status_int == 401
    assert response.json == {'unauthorized': {
        'code': 401, 'message': 'User does not have admin privileges.'}}
    assert quota.get_limits('p1')['instances'] == 10


def test_update_answers_with_the_limits_it_set(app):
    response = call(app, 'PUT', '/v1.0/p1/mgmt/quotas/p2',
                    {'quotas': {'instances': 2, 'ram': None,
                                'volumes': -1}}, **ADMIN)
    assert response.status_int == 200
    assert response.json == {'quotas': {'instances': 2, 'volumes': -1}}
    assert quota.get_limits('p2') == {'instances': 2, 'ram': -1,
                                      'backups': 50, 'volumes': -1}
    call(app, 'PUT', '/v1.0/p1/mgmt/quotas/p2',
         {'quotas': {'instances': 4}}, **ADMIN)
    assert quota.get_limits('p2')['instances'] == 4


@pytest.mark.parametrize('body, code, message', [
    ({'quotas': {'instances': 1, 'ram': -2}}, 400,
     "Quota limit '-2' for 'ram' is too small - must be at least '-1'."),
    ({'quotas': {'instances': 1, 'cores': 3}}, 404,
     'Unknown quota resources cores.'),
    ({'quotas': {'instances': '3'}}, 400, None),
    ({'quotas': {'instances': 1.5}}, 400, None),
    ({'quotas': 'all'}, 400, None),
    ({'limits': {}}, 400, None),
    ({}, 400, 'Invalid request body.'),
])
def test_invalid_updates_change_nothing(app, body, code, message):
    response = call(app, 'PUT', '/v1.0/p1/mgmt/quotas/p1', body, **ADMIN)
    assert response.status_int == code
    fault = response.json[list(response.json)[0]]
    assert fault['code'] == code
    if message:
        assert fault['message'] == message
    assert db.read(quotas.limits, 'p1') == {}


def test_create_over_quota_is_413_and_leaves_nothing(app, casts):
    quota.set_limits('p1', {'instances': 1})
    assert call(app, 'POST', '/v1.0/p1/instances',
                create_body()).status_int == 200
    response = call(app, 'POST', '/v1.0/p1/instances', create_body())
    assert response.status_int == 413
    assert response.json == {'overLimit': {
        'code': 413, 'message': "Quota exceeded for resources: "
                                "['instances']."}}
    assert len(db_fixtures.list_instances('p1', 100)) == 1
    assert len(casts) == 1
    assert in_use() == {'instances': 1, 'ram': 256, 'backups': 0,
                        'volumes': 1}


def test_every_resource_over_its_limit_is_named(app):
    quota.set_limits('p1', {'instances': 0, 'ram': 100, 'volumes': 5})
    response = call(app, 'POST', '/v1.0/p1/instances', create_body())
    assert response.json['overLimit']['message'] == (
        "Quota exceeded for resources: ['instances', 'ram'].")


def test_unlimited_resources_are_counted_but_never_refused(app):
    quota.set_limits('p1', {'instances': -1, 'volumes': -1})
    for _ in range(12):
        assert call(app, 'POST', '/v1.0/p1/instances',
                    create_body()).status_int == 200
    assert in_use()['instances'] == 12


def test_delete_frees_the_usage_once(app, casts):
    created = call(app, 'POST', '/v1.0/p1/instances', create_body(
        volume={'size': 3})).json['instance']
    db_fixtures.update_instance(created['id'], task=InstanceTasks.NONE)
    assert in_use() == {'instances': 1, 'ram': 256, 'backups': 0,
                        'volumes': 3}
    path = f'/v1.0/p1/instances/{created["id"]}'
    assert call(app, 'DELETE', path).status_int == 202
    assert call(app, 'DELETE', path).status_int == 202  # already deleting
    assert in_use() == {'instances': 0, 'ram': 0, 'backups': 0,
                        'volumes': 0}


def test_a_failed_insert_takes_no_usage(catalogue):
    flavor = catalogue_api.get_flavor('1')
    values = {'name': 'a', 'tenant_id': 'p1', 'flavor_id': '1',
              'datastore_version_id': catalogue.id, 'volume_size': 2}

    def create_charged(values):
        # As instance.api.create does: the usage and the rows together.
        usage = quota.instance_charge('p1', flavor, 2)
        quota.prepare(usage)
        with db.transaction() as tx:
            quota.apply(tx, usage)
            return instances.create(tx, values)

    first = create_charged(dict(values))
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        create_charged(dict(values, id=first))
    assert in_use() == {'instances': 1, 'ram': 256, 'backups': 0,
                        'volumes': 2}


def test_prepare_makes_only_missing_rows_and_then_only_reads(
        database, monkeypatch):
    quota.prepare(quota.UsageChange('p1', {'instances': 1, 'ram': 256}))
    assert db.read(quotas.usages, 'p1') == {'instances': 0, 'ram': 0}
    # The rows there: no transaction (nor its commit) at all.
    with monkeypatch.context() as patched:
        patched.setattr(quota.db, 'transaction', None)
        quota.prepare(quota.UsageChange('p1', {'instances': -1,
                                               'ram': -256}))
    quota.prepare(quota.UsageChange('p1', {'instances': 1, 'volumes': 2}))
    assert db.read(quotas.usages, 'p1') == {'instances': 0, 'ram': 0,
                                            'volumes': 0}


def test_rate_limited_request_gets_trove_s_fault_and_header(app, conf):
    conf.config(http_get_rate=2)
    for _ in range(2):
        assert call(app, 'GET', '/v1.0/p1/flavors').status_int == 200
    response = call(app, 'GET', '/v1.0/p1/flavors')
    assert response.status_int == 413
    assert response.headers['Retry-After'] == '30'
    assert response.json == {'overLimit': {
        'code': 413, 'message': 'This request was rate-limited.',
        'details': 'Only 2 GET request(s) can be made to * every minute.',
        'retryAfter': '30'}}
    # Version documents are outside any project and never limited.
    assert call(app, 'GET', '/').status_int == 200


def test_a_project_mismatch_is_refused_before_it_is_counted(app, conf):
    conf.config(http_get_rate=1)
    for _ in range(3):
        assert call(app, 'GET', '/v1.0/p1/flavors',
                    **{'X-Project-Id': 'p2'}).status_int == 403
    assert call(app, 'GET', '/v1.0/p1/flavors').status_int == 200


def test_a_resize_refund_gives_back_its_charge_unchecked(catalogue):
    record = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})
    charge = quota.resize_charge(record, ram=256, volumes=2)
    back = quota.resize_refund(record, ram=256, volumes=2)
    assert back == quota.refund(charge)
    assert back == quota.UsageChange('p', {'ram': -256, 'volumes': -2})
    assert quota.resize_refund(record, ram=0) is None
