"""The API's request class: no method override, and its parameters
otherwise as WebOb parses them."""

import pytest

from trove_lite.api import faults
from trove_lite.api import request


def test_params_never_hold_the_method_override():
    req = request.Request.blank(
        '/v1.0/p/instances?_method=delete&limit=5&_method=put',
        method='POST', POST={'_method': 'patch', 'name': 'x'})
    assert dict(req.params) == {'limit': '5', 'name': 'x'}
    assert req.params.getall('_method') == []


def test_params_without_an_override_are_webobs():
    req = request.Request.blank('/v1.0/p/instances?limit=5&marker=m')
    assert req.params.mixed() == {'limit': '5', 'marker': 'm'}


def test_a_url_that_is_not_utf8_is_a_bad_request():
    req = request.Request.blank('/v1.0/p/instances/%ff')
    with pytest.raises(UnicodeDecodeError) as raised:
        assert req.path_info
    response = faults.from_exception(raised.value)
    assert response.status_int == 400
    assert response.json['badRequest']['code'] == 400
