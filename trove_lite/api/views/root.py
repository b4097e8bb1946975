"""JSON shapes of the root user (Trove's RootEnabledView and
RootCreatedView; the latter is the one response with a password)."""


def root_enabled(enabled):
    return {'rootEnabled': enabled}


def root_created(spec):
    return {'user': {'name': spec.name, 'password': spec.password}}
