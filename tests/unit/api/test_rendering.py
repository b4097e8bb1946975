"""Response bodies: encoded by orjson, meaning what Pecan's own JSON
renderer made of the same values."""

import dataclasses
import datetime
import json

import pytest
from pecan import jsonify

from trove_lite.api import rendering


class Shaped:
    def __json__(self):
        return {'shaped': True}


@dataclasses.dataclass
class Record:
    name: str

    def __json__(self):
        return {'record': self.name}


VALUES = [
    {'instances': [{'id': 'a', 'volume': {'size': 2}, 'ip': ['10.0.0.1'],
                    'access': {'is_public': False}, 'fault': None}]},
    {'created': datetime.datetime(2026, 12, 7, 12, 30, 5)},
    {'name': 'caf\u00e9 \u2603', 'quote': 'a "b" \\ c\n'},
    {1: 'int key', None: 'none key', 2.5: 'float key'},
    {'shaped': Shaped(), 'record': Record('r')},
    {'big': 2 ** 62, 'ratio': 0.25, 'empty': [], 'nested': [[{}]]},
]


@pytest.mark.parametrize('value', VALUES)
def test_a_body_means_what_pecans_renderer_made_of_it(value):
    body = rendering.encode(value)
    assert isinstance(body, bytes)
    assert json.loads(body) == json.loads(jsonify.encode(value))


@pytest.mark.parametrize('value', [
    # A guest's reply is JSON: a hostile one can send "\ud800".
    {'databases': [{'name': 'lone \ud800 surrogate'}]},
    {'size': 2 ** 70},
])
def test_what_orjson_refuses_is_written_as_pecan_wrote_it(value):
    assert rendering.encode(value) == jsonify.encode(value).encode()


def test_the_renderer_renders_the_namespace():
    renderer = rendering.JsonRenderer('', {})
    assert json.loads(renderer.render(None, {'a': [1]})) == {'a': [1]}


def test_a_value_neither_can_encode_is_an_error():
    with pytest.raises(TypeError):
        rendering.encode({'value': object()})
