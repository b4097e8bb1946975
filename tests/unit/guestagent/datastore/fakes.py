"""A stand-in for a PyMySQL connection and its cursor (one object):
records each statement it is given."""


class RecordingConnection:

    def __init__(self):
        self.statements = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def cursor(self):
        return self

    def execute(self, statement, params=()):
        self.statements.append((statement, params))
