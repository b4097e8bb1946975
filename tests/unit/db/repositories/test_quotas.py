"""Quota limits and usage rows."""

import pytest

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.db.repositories import quotas


def add(deltas, hard_limits=None):
    with db.transaction() as tx:
        quotas.ensure_usage_rows(tx, 'p', list(deltas))
    with db.transaction() as tx:
        quotas.add_usage(tx, 'p', deltas, hard_limits)


def test_limits_are_set_and_changed(database):
    with db.transaction() as tx:
        quotas.set_limits(tx, 'p', {'instances': 2, 'ram': 512})
    with db.transaction() as tx:
        quotas.set_limits(tx, 'p', {'ram': -1})
    assert db.read(quotas.limits, 'p') == {'instances': 2, 'ram': -1}
    assert db.read(quotas.limits, 'other') == {}


def test_usage_adds_up_and_never_goes_below_zero(database):
    add({'instances': 1, 'ram': 256})
    add({'instances': 1, 'ram': 256})
    add({'ram': -1024})
    assert db.read(quotas.usages, 'p') == {'instances': 2, 'ram': 0}


def test_an_addition_past_a_limit_adds_nothing(database):
    add({'instances': 1, 'volumes': 5})
    with pytest.raises(exceptions.QuotaExceeded) as raised:
        add({'instances': 1, 'volumes': 1},
            {'instances': 1, 'volumes': -1})
    assert "['instances']" in str(raised.value)
    add({'instances': -1, 'volumes': 100}, {'instances': 1, 'volumes': -1})
    assert db.read(quotas.usages, 'p') == {'instances': 0, 'volumes': 105}
