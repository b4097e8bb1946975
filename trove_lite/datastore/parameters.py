"""The configuration parameters of a datastore version: which server settings a
configuration group may hold, of what type, within which bounds, and
whether the server must restart to take a new value.

A rules file has the format of Trove's ``validation-rules.json``::

    {"configuration-parameters": [
        {"name": "max_connections", "type": "integer",
         "restart_required": false, "min": 10, "max": 100000}]}

with two optional keys of trove-lite's for string parameters: ``values``,
the values allowed (compared without regard to case), and ``multiple``,
true when the value is a comma-separated list of them (``sql_mode``). They
keep out of a group a string the server would refuse, at a ``SET GLOBAL``
or, worse, at its next start.

trove-lite ships the parameter rules of its MariaDB/MySQL guests
(``datastore/mysql_parameters.json``), checked against MariaDB 10.11: the
types, bounds and allowed values lie within what the server's
``information_schema.SYSTEM_VARIABLES`` reports, and ``restart_required``
is its READ_ONLY flag, except for ``max_user_connections``: a server
started with 0 (the default) refuses to change it until restarted.
"""

import dataclasses
import json
import re
from importlib import resources

from trove_lite.datastore import mysql_config

TYPES = ('integer', 'string', 'boolean', 'float')

# The longest string value a group may hold (sql_mode with every mode
# spelled out is about 500 characters).
MAX_STRING_VALUE = 1024

# Option names the server and the guest agree on: a plain lower-case word
# (MariaDB also accepts "-" for "_" in option files, never in SET GLOBAL).
_NAME = re.compile(r'^[a-z][a-z0-9_]{0,127}\Z')

# Datastore managers whose guests ship parameter rules, and its file.
_SHIPPED = {'mysql': 'mysql_parameters.json',
            'mariadb': 'mysql_parameters.json'}


class ParameterRuleError(ValueError):
    """A parameter rule that cannot be used."""


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter of a datastore version's parameter rules."""

    name: str
    data_type: str
    restart_required: bool
    min_size: int | float | None = None
    max_size: int | float | None = None
    allowed_values: tuple[str, ...] | None = None
    multiple: bool = False

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ParameterRuleError(
                f'parameter name {self.name!r} must be a lower-case word '
                f'of letters, digits and "_" (at most 128 characters)')
        if self.data_type not in TYPES:
            raise ParameterRuleError(
                f'parameter {self.name}: type {self.data_type!r} is not '
                f'one of {", ".join(TYPES)}')
        numeric = self.data_type in ('integer', 'float')
        for bound in (self.min_size, self.max_size):
            if bound is not None and (not numeric or isinstance(bound, bool)
                                      or not isinstance(bound, (int, float))):
                raise ParameterRuleError(
                    f'parameter {self.name}: min and max need a number and '
                    f'an integer or float parameter')
        if self.data_type == 'integer':
            for field in ('min_size', 'max_size'):
                self._whole_bound(field)
        if self.min_size is not None and self.max_size is not None and \
                self.min_size > self.max_size:
            raise ParameterRuleError(f'parameter {self.name}: min is greater '
                                 f'than max')
        if (self.allowed_values is not None or self.multiple) and \
                self.data_type != 'string':
            raise ParameterRuleError(f'parameter {self.name}: only a string '
                                 f'parameter has values')

    def _whole_bound(self, field):
        """An integer parameter's bound is whole: it is stored as text
        and read back with int()."""
        bound = getattr(self, field)
        if not isinstance(bound, float):
            return
        if not bound.is_integer():
            raise ParameterRuleError(f'parameter {self.name}: min and max of '
                                 f'an integer parameter must be whole '
                                 f'numbers')
        # Frozen: set as the dataclass itself does.
        object.__setattr__(self, field, int(bound))

    @classmethod
    def from_entry(cls, entry):
        """A parameter from a rules file entry (ParameterRuleError when
        it is malformed)."""
        if not isinstance(entry, dict):
            raise ParameterRuleError(f'{entry!r} is not an object')
        missing = {'name', 'type', 'restart_required'} - set(entry)
        if missing:
            raise ParameterRuleError(f'{entry!r} lacks {sorted(missing)}')
        if not isinstance(entry['restart_required'], (bool, int)):
            raise ParameterRuleError(f'parameter {entry["name"]}: '
                                 f'restart_required must be a boolean')
        values = entry.get('values')
        if values is not None and (
                not isinstance(values, list) or not values or
                not all(isinstance(value, str) for value in values)):
            raise ParameterRuleError(f'parameter {entry["name"]}: values must '
                                 f'be a list of strings')
        return cls(name=entry['name'], data_type=entry['type'],
                   restart_required=bool(entry['restart_required']),
                   min_size=entry.get('min'), max_size=entry.get('max'),
                   allowed_values=tuple(values) if values else None,
                   multiple=bool(entry.get('multiple', False)))

    @classmethod
    def from_row(cls, row):
        """A parameter from its ``datastore_configuration_parameters``
        row."""
        return cls(name=row.name, data_type=row.data_type,
                   restart_required=bool(row.restart_required),
                   min_size=_number(row.min_size, row.data_type),
                   max_size=_number(row.max_size, row.data_type),
                   allowed_values=(tuple(row.allowed_values)
                                   if row.allowed_values else None),
                   multiple=bool(row.multiple))

    def row_values(self):
        """The columns of its ``datastore_configuration_parameters``
        row (bounds in text, as Trove keeps them)."""
        return {'name': self.name, 'data_type': self.data_type,
                'restart_required': self.restart_required,
                'min_size': _text(self.min_size),
                'max_size': _text(self.max_size),
                'allowed_values': (list(self.allowed_values)
                                   if self.allowed_values else None),
                'multiple': self.multiple}


def _number(text, data_type):
    if text is None or text == '':
        return None
    return float(text) if data_type == 'float' else int(text)


def _text(number):
    return None if number is None else repr(number)


def read(text):
    """The parameters of a rules file's text (ParameterRuleError when it
    is malformed or names a parameter twice)."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ParameterRuleError(f'not JSON: {error}') from None
    entries = document.get('configuration-parameters') \
        if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ParameterRuleError('needs a "configuration-parameters" list')
    found = [Parameter.from_entry(entry) for entry in entries]
    names = [parameter.name for parameter in found]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ParameterRuleError(f'parameters listed twice: {twice}')
    return found


def check_settable(manager, found):
    """Refuse (ParameterRuleError) parameter rules for ``manager`` that names a
    parameter its guests do not let a configuration group set: a MariaDB
    or MySQL guest writes only the options of its allow-list."""
    if manager not in _SHIPPED:
        return
    refused = sorted(parameter.name for parameter in found
                     if parameter.name not in
                     mysql_config.SETTABLE_OPTIONS)
    if refused:
        raise ParameterRuleError(f'the guests of {manager} do not let a '
                             f'configuration group set {refused}')


def ships_for(manager):
    """Whether trove-lite ships parameter rules for a datastore manager."""
    return manager in _SHIPPED


def shipped(manager):
    """The parameter rules trove-lite ships for a datastore manager (a list of
    Parameters), or None when it ships none."""
    file_name = _SHIPPED.get(manager)
    if file_name is None:
        return None
    return read(resources.files('trove_lite.datastore').joinpath(
        file_name).read_text())
