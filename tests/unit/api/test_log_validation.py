"""The body of ``POST /instances/{id}/log``: Trove's shape, one action at
most, checked before the guest is asked."""

import pytest

from trove_lite.api import validation
from trove_lite.common import exceptions


@pytest.mark.parametrize('body, parsed', [
    ({'name': 'general'}, ('general', None)),
    ({'name': 'slow_query', 'enable': 1}, ('slow_query', 'enable')),
    ({'name': 'error', 'publish': True, 'discard': 0}, ('error', 'publish')),
])
def test_good_bodies(body, parsed):
    assert validation.log_action(body) == parsed


@pytest.mark.parametrize('body', [
    [], {}, {'name': ''}, {'name': 7}, {'name': 'general', 'enable': 2},
    {'name': 'general', 'enable': 'yes'}, {'name': 'general', 'tail': 1},
    {'name': 'general', 'enable': 1, 'disable': 1},
])
def test_bad_bodies_are_400(body):
    with pytest.raises(exceptions.BadRequest):
        validation.log_action(body)
