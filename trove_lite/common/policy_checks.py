"""The checks Trove's rules are parsed with, registered with oslo.policy
on import: ``policies`` imports this module before it builds its rules
(oslo.policy parses a rule when it is made)."""

import ast

from oslo_policy import _checks


class GenericCheck(_checks.GenericCheck):
    """oslo.policy's check of ``kind:match`` rules (``project_id:%(tenant)s``,
    ``is_admin:True``), with ``kind`` read as a Python literal once, when
    the rule is parsed: oslo.policy compiles it (``ast.literal_eval``) at
    every evaluation, two per request under Trove's default rules."""

    _NOT_READ = object()

    def __init__(self, kind, match):
        super().__init__(kind, match)
        try:
            self._literal = str(ast.literal_eval(kind))
        except ValueError:
            self._literal = None  # a path into the credentials
        except SyntaxError:
            self._literal = self._NOT_READ  # fails as oslo.policy fails
        self._path = kind.split('.')

    def __call__(self, target, creds, enforcer, current_rule=None):
        if self._literal is self._NOT_READ:
            return super().__call__(target, creds, enforcer, current_rule)
        try:
            match = self.match % target
        except KeyError:
            return False
        if self._literal is not None:
            return match == self._literal
        return self._find_in_dict(creds, self._path, match)


# The check of every ``kind:match`` whose kind has no check of its own.
_checks.register(None, GenericCheck)
