"""The renderer of every ``pecan.expose('json')`` body.

Encoding is a tenth of a list request (a page of 20 instances: 0.11 ms
with the json module, 0.01 ms with orjson, benchmarks/api_profile.py), so
the bodies are encoded by orjson. What orjson does not take itself
(objects with ``__json__``, datetimes, dataclasses, ...) goes to Pecan's
own conversions, so a body means what Pecan's renderer made of it; only
the spacing differs (none).
"""

import orjson
from pecan import jsonify

# Datetimes and dataclasses as Pecan converts them (str(), __json__), not
# as orjson would; keys that are not strings as the json module writes
# them.
_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME |
            orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS)


def encode(value):
    """``value`` as a JSON document (bytes)."""
    try:
        return orjson.dumps(value, default=jsonify.jsonify, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # What orjson refuses and the json module writes (a lone
        # surrogate in a string a guest sent, an integer past 64 bits)
        # is written as before rather than failing the request.
        return jsonify.encode(value).encode()


class JsonRenderer:
    """Pecan's renderer interface (``custom_renderers={'json': ...}``)."""

    def __init__(self, path, extra_vars):
        pass

    def render(self, template_path, namespace):
        return encode(namespace)
