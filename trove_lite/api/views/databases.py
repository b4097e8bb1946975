"""JSON shapes of an instance's databases (Trove's SchemasView)."""


def database(spec):
    return {'name': spec.name}


def databases(specs):
    return {'databases': [database(spec) for spec in specs]}
