"""The API reference (api-ref/source) as data, and the comparison of a
documented sample with a real response.

A call is one titled section of an ``.inc`` file: its ``rest_method``,
its normal response codes, and the ``samples/*-request.json`` and
``samples/*-response.json`` it includes. A sample matches a response when
both have the same keys with values of the same JSON types, all the way
down; a sample string that is a UUID, a date or a URL must be one in the
response too. The values themselves are examples and are not compared.
"""

import dataclasses
import json
import pathlib
import re

SOURCE = pathlib.Path(__file__).resolve().parents[2] / 'api-ref' / 'source'

_TITLE_UNDERLINE = re.compile(r'^~+$')
_METHOD = re.compile(r'^\.\. rest_method::\s+(\w+)\s+(\S+)')
_CODES = re.compile(r'^Normal response codes:\s*(.+)$')
_SAMPLE = re.compile(r'^\.\. literalinclude::\s+samples/(\S+)$')

_PATTERNS = (
    ('a UUID', re.compile(
        r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')),
    ('a date', re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$')),
    ('a UTC date', re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')),
    ('a URL', re.compile(r'^https?://[^/\s]+(/\S*)?$')),
)


# Calls whose samples the test of their feature checks, as they need
# more than the sample run's stack has (an archived binary log on a
# storage the guests can write, a replication set): title -> test
# module.
CHECKED_ELSEWHERE = {
    'Restore instance to a point in time':
        'tests/functional/test_point_in_time.py',
    'Show instance with a backup policy':
        'tests/functional/test_point_in_time.py',
    'Promote a replica to replication source':
        'tests/functional/test_replication.py',
    'Eject a failed replication source':
        'tests/functional/test_replication.py',
}


@dataclasses.dataclass
class Call:
    """One documented call."""

    title: str
    method: str
    path: str
    codes: tuple
    request: str | None = None
    response: str | None = None


def load_sample(name):
    return json.loads((SOURCE / 'samples' / name).read_text())


def documented_calls():
    """Every call of the API reference, by section title."""
    calls = {}
    for inc in sorted(SOURCE.glob('*.inc')):
        lines = inc.read_text().splitlines()
        call = None
        for number, line in enumerate(lines):
            following = lines[number + 1] if number + 1 < len(lines) else ''
            if line.strip() and _TITLE_UNDERLINE.match(following) and \
                    len(following) >= len(line):
                call = Call(title=line, method='', path='', codes=())
                if line in calls:
                    raise ValueError(f'{inc.name}: two calls titled {line!r}')
                calls[line] = call
            elif call is not None:
                _read_line(call, line)
    for title, call in calls.items():
        if not call.method or not call.codes:
            raise ValueError(f'{title!r}: no rest_method or response codes')
    return calls


def _read_line(call, line):
    if match := _METHOD.match(line):
        call.method, call.path = match.groups()
    elif match := _CODES.match(line):
        call.codes = tuple(int(code) for code in re.findall(r'\d{3}',
                                                            match[1]))
    elif match := _SAMPLE.match(line):
        name = match[1]
        if name.endswith('-request.json'):
            call.request = name
        elif name.endswith('-response.json'):
            call.response = name
        else:
            raise ValueError(f'{call.title!r}: sample {name} is neither '
                             f'a request nor a response')


def included_samples():
    """The sample files the reference includes anywhere."""
    names = set()
    for inc in SOURCE.glob('*.inc'):
        for line in inc.read_text().splitlines():
            if match := _SAMPLE.match(line):
                names.add(match[1])
    return names


def json_kind(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


def differences(sample, actual, where='$', free_form=()):
    """How ``actual`` differs in structure from ``sample``: a list of
    messages, empty when they match. ``free_form`` names the objects
    (``$.configuration.values``, indexes left out) whose keys are data:
    only the kinds of their values are compared."""
    if json_kind(sample) != json_kind(actual):
        return [f'{where}: {json_kind(actual)} in the response, '
                f'{json_kind(sample)} in the sample']
    if isinstance(sample, dict):
        if _unindexed(where) in free_form:
            kinds = {json_kind(value) for value in sample.values()}
            return [f'{where}.{key}: {json_kind(value)}, the sample has '
                    f'only {sorted(kinds)}'
                    for key, value in actual.items()
                    if json_kind(value) not in kinds]
        found = [f'{where}.{key}: in the sample, not in the response'
                 for key in sample if key not in actual]
        found += [f'{where}.{key}: in the response, not in the sample'
                  for key in actual if key not in sample]
        for key in sample:
            if key in actual:
                found += differences(sample[key], actual[key],
                                     f'{where}.{key}', free_form)
        return found
    if isinstance(sample, list):
        return _list_differences(sample, actual, where, free_form)
    if isinstance(sample, str):
        for name, pattern in _PATTERNS:
            if pattern.match(sample) and not pattern.match(actual):
                return [f'{where}: {actual!r} is not {name} as in the '
                        f'sample']
    return []


def _list_differences(sample, actual, where, free_form):
    """Each item of the response must match an item of the sample, and
    each item of the sample some item of the response (a sample lists
    each shape the list can hold)."""
    if not sample:
        return []
    if not actual:
        return [f'{where}: empty in the response, not in the sample']
    found = []
    for index, item in enumerate(actual):
        tries = [differences(shape, item, f'{where}[{index}]', free_form)
                 for shape in sample]
        if all(tries):
            found += min(tries, key=len)
    for index, shape in enumerate(sample):
        if all(differences(shape, item, where, free_form)
               for item in actual):
            found.append(f'{where}: no item of the response has the shape '
                         f'of item {index} of the sample')
    return found


def _unindexed(where):
    return re.sub(r'\[\d+\]', '', where)
