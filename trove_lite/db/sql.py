"""Statement helpers the repositories share."""

import uuid


def new_id():
    return str(uuid.uuid4())


def is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def insert_ignore(table):
    """An INSERT that skips a row whose key exists (a racing writer's)
    instead of failing; its rowcount says whether it inserted."""
    return (table.insert().prefix_with('IGNORE', dialect='mysql')
            .prefix_with('OR IGNORE', dialect='sqlite'))
