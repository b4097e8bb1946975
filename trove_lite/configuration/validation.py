"""Checking a configuration group's values against the parameter
rules of its datastore version, with Trove's rules and messages:
every key a known parameter (case does not matter), every value of the
parameter's JSON type and within its bounds. Any bad value fails the
whole request with 422 before anything is stored.

trove-lite checks a little more than Trove, each time because the server
would otherwise refuse the value, live or at its next start: a string
must be one of the parameter's allowed values (when the rules list
them) and fit an option file line, a key may not be given twice, and a
collation given with a character set must belong to it.
"""

import math
import re

from trove_lite.common import exceptions
from trove_lite.datastore import mysql_config
from trove_lite.datastore import mysql_rules
from trove_lite.datastore import parameters as parameter_rules

_PYTHON_TYPES = {'integer': (int,), 'float': (float, int), 'string': (str,),
                 'boolean': (bool,)}
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def _refuse(message):
    raise exceptions.UnprocessableEntity(message)


def check_values(values, parameters, datastore_name, version_name):
    """``values`` (a dict from the request) checked against
    ``parameters`` (the version's parameter rules, Parameters); returns them
    keyed by the rules' spelling of each name. Raises
    UnprocessableEntity (422) with Trove's message at the first bad
    one."""
    by_name = {parameter.name.lower(): parameter for parameter in parameters}
    if not by_name:
        _refuse(f'Configuration groups are not supported for this '
                f'datastore: {datastore_name} {version_name}')
    checked = {}
    for key, value in values.items():
        if mysql_config.is_binlog_option(key):
            raise exceptions.BadRequest(
                f'The configuration parameter {key} cannot be set: every '
                f'instance writes a row-based binary log with GTIDs, which '
                f'backup policies (point-in-time restore) archive.')
        parameter = by_name.get(key.lower())
        if parameter is None:
            _refuse(f'The configuration parameter {key} is not supported '
                    f'for this datastore: {datastore_name} {version_name}.')
        if parameter.name in checked:
            _refuse(f'The configuration parameter {key} is given more '
                    f'than once.')
        checked[parameter.name] = check_value(key, value, parameter)
    _check_character_set(checked)
    return checked


def check_value(key, value, parameter):
    """One value (``key`` as the request spells it); the value as
    stored (a float parameter keeps an integer as a float)."""
    data_type = parameter.data_type
    # bool is an int in Python, never an integer or float in JSON.
    if not isinstance(value, _PYTHON_TYPES[data_type]) or (
            isinstance(value, bool) and data_type != 'boolean'):
        _refuse(f'The value provided for the configuration parameter '
                f'{key} is not of type {data_type}.')
    if data_type in ('integer', 'float'):
        if data_type == 'float':
            value = float(value)
            if not math.isfinite(value):
                _refuse(f'The value provided for the configuration '
                        f'parameter {key} is not a finite number.')
        if parameter.min_size is not None and value < parameter.min_size:
            _refuse(f'The value for the configuration parameter {key} is '
                    f'less than the minimum allowed: {parameter.min_size}')
        if parameter.max_size is not None and value > parameter.max_size:
            _refuse(f'The value for the configuration parameter {key} is '
                    f'greater than the maximum allowed: '
                    f'{parameter.max_size}')
    if data_type == 'string':
        _check_string(key, value, parameter)
    return value


def _check_string(key, value, parameter):
    if len(value) > parameter_rules.MAX_STRING_VALUE or _CONTROL.search(value):
        _refuse(f'The value provided for the configuration parameter '
                f'{key} must be at most {parameter_rules.MAX_STRING_VALUE} '
                f'characters without control characters.')
    if parameter.allowed_values is None:
        return
    allowed = {item.lower() for item in parameter.allowed_values}
    items = value.split(',') if parameter.multiple else [value]
    if parameter.multiple and value == '':
        items = []
    if any(item.lower() not in allowed for item in items):
        kind = 'a comma-separated list of' if parameter.multiple \
            else 'one of'
        _refuse(f'The value provided for the configuration parameter '
                f'{key} is not {kind}: '
                f'{", ".join(parameter.allowed_values)}.')


def _check_character_set(checked):
    """The server refuses to start with a collation of another character
    set than its own."""
    character_set = checked.get('character_set_server')
    collation = checked.get('collation_server')
    if character_set is None or collation is None:
        return
    problem = mysql_rules.check_character_set(character_set.lower(),
                                              collation.lower())
    if problem:
        _refuse(f'The configuration parameters character_set_server and '
                f'collation_server do not match: {problem}.')
