"""Which guest manager runs which datastore manager."""

import importlib

from trove_lite.common import exceptions

_MANAGERS = {
    'mysql': 'trove_lite.guestagent.datastore.mysql:MySqlManager',
    'mariadb': 'trove_lite.guestagent.datastore.mysql:MySqlManager',
}


def manager_class(datastore_manager):
    """The guest manager class of ``datastore_manager``."""
    try:
        module_name, class_name = _MANAGERS[datastore_manager].split(':')
    except KeyError:
        raise exceptions.NotImplementedYet(
            f'Datastore manager {datastore_manager} is not supported by '
            f'this guest agent.') from None
    return getattr(importlib.import_module(module_name), class_name)


def supported_managers():
    return sorted(_MANAGERS)
