"""The API reference's own consistency, and the sample comparison the
functional test relies on: it must catch each way a sample can drift."""

import json

from tests.functional import api_ref

INSTANCE = {
    'id': '4bca2f27-f986-419e-ab4a-d6b4f35b7a3c',
    'created': '2025-03-14T12:52:45',
    'links': [{'rel': 'self', 'href': 'http://127.0.0.1:8779/instances/1'}],
    'volume': {'size': 1, 'used': 0.03},
    'fault': None,
}


def response(**changes):
    instance = json.loads(json.dumps(INSTANCE))
    instance.update(changes)
    return instance


def test_a_response_of_the_same_structure_matches():
    other = response(id='0b5d7a2e-3c4f-4e1a-9a61-5d0c2e8f7b11',
                     created='2026-01-01T00:00:00',
                     volume={'size': 7, 'used': 2.5})
    assert api_ref.differences(INSTANCE, other) == []


def test_a_key_missing_from_the_response_is_a_difference():
    other = response()
    del other['volume']['used']
    assert api_ref.differences(INSTANCE, other) == [
        '$.volume.used: in the sample, not in the response']


def test_a_key_missing_from_the_sample_is_a_difference():
    assert api_ref.differences(INSTANCE, response(region='RegionOne')) == [
        '$.region: in the response, not in the sample']


def test_a_value_of_another_json_type_is_a_difference():
    assert api_ref.differences(INSTANCE, response(volume={
        'size': '1', 'used': 0.03})) == [
        '$.volume.size: string in the response, integer in the sample']
    assert api_ref.differences(INSTANCE, response(fault={})) != []
    # JSON booleans are not integers.
    assert api_ref.differences({'n': 1}, {'n': True}) != []


def test_ids_dates_and_urls_must_keep_their_form():
    assert api_ref.differences(INSTANCE, response(id='shop')) == [
        "$.id: 'shop' is not a UUID as in the sample"]
    assert api_ref.differences(INSTANCE, response(
        created='2025-03-14 12:52:45')) != []
    assert api_ref.differences(INSTANCE, response(
        created='2025-03-14T12:52:45Z')) != []
    assert api_ref.differences(INSTANCE, response(
        links=[{'rel': 'self', 'href': '/instances/1'}])) != []


def test_every_item_of_a_list_must_have_a_shape_of_the_sample():
    sample = {'limits': [{'verb': 'ABSOLUTE', 'max_ram': -1},
                         {'verb': 'GET', 'remaining': 5}]}
    assert api_ref.differences(sample, {'limits': [
        {'verb': 'ABSOLUTE', 'max_ram': 0},
        {'verb': 'POST', 'remaining': 1},
        {'verb': 'GET', 'remaining': 2}]}) == []
    assert api_ref.differences(sample, {'limits': [
        {'verb': 'ABSOLUTE', 'max_ram': 0},
        {'verb': 'GET', 'remaining': 2, 'extra': 1}]}) == [
        '$.limits[1].extra: in the response, not in the sample',
        '$.limits: no item of the response has the shape of item 1 of '
        'the sample']


def test_every_shape_of_the_sample_must_occur_in_the_response():
    sample = [{'name': 'a'}, {'name': 'b', 'multiple': True}]
    assert api_ref.differences(sample, [{'name': 'x'}]) == [
        '$: no item of the response has the shape of item 1 of the sample']
    assert api_ref.differences(sample, []) == [
        '$: empty in the response, not in the sample']


def test_free_form_objects_compare_only_the_kinds_of_their_values():
    sample = {'configuration': {'values': {'max_connections': 200}}}
    free_form = ('$.configuration.values',)
    assert api_ref.differences(sample, {'configuration': {'values': {
        'wait_timeout': 600, 'back_log': 100}}}, free_form=free_form) == []
    assert api_ref.differences(sample, {'configuration': {'values': {
        'sql_mode': 'ANSI'}}}, free_form=free_form) == [
        "$.configuration.values.sql_mode: string, the sample has only "
        "['integer']"]


def test_every_documented_call_has_a_method_a_path_and_status_codes():
    calls = api_ref.documented_calls()
    assert len(calls) > 50
    for call in calls.values():
        assert call.method in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
        assert call.path.startswith('/')
        assert all(200 <= code < 300 for code in call.codes), call


def test_every_sample_is_json_and_included_and_every_include_exists():
    on_disk = {path.name for path in (api_ref.SOURCE / 'samples').iterdir()}
    for name in on_disk:
        api_ref.load_sample(name)
    assert api_ref.included_samples() == on_disk


def test_a_call_with_a_response_sample_is_documented_to_answer_a_body():
    for call in api_ref.documented_calls().values():
        if call.response:
            assert 204 not in call.codes, call
