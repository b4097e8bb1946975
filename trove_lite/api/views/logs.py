"""JSON shape of a database log (Trove's GuestLogView). The guest builds
the log's description; only Trove's keys, with their types, reach the
tenant, so a misbehaving guest cannot put anything else in an answer."""

from trove_lite.common import exceptions

_KEYS = {'name': str, 'type': str, 'status': str, 'published': int,
         'pending': int, 'container': str, 'prefix': str, 'metafile': str}


def log(item):
    if not isinstance(item, dict):
        raise exceptions.GuestError(original_message='a log description '
                                                     'that is not an object')
    view = {}
    for key, kind in _KEYS.items():
        value = item.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise exceptions.GuestError(
                original_message=f'a log description with a bad {key!r}')
        view[key] = value
    return view
