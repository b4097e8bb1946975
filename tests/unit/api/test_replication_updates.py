"""The replication keys of an update body: ``replica_of``/``slave_of``
empty (detach) and trove-lite's ``failover``."""

import pytest

from trove_lite.api.controllers.v1 import instances as controller
from trove_lite.common import exceptions


@pytest.mark.parametrize('body, automatic', [
    ({'failover': {'automatic': True}}, True),
    ({'failover': {'automatic': False}}, False)])
def test_failover_updates_parse(body, automatic):
    assert controller.parse_update(
        {'instance': body}).automatic_failover is automatic


@pytest.mark.parametrize('value', [
    {'automatic': 'yes'}, {}, {'automatic': True, 'timeout': 5}, [], None])
def test_bad_failover_settings_are_refused(value):
    with pytest.raises(exceptions.TroveLiteError):
        controller.parse_update({'instance': {'failover': value}})


@pytest.mark.parametrize('key', ['replica_of', 'slave_of'])
def test_an_empty_source_detaches(key):
    assert controller.parse_update({'instance': {key: ''}}).detach_replica
