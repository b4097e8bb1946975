"""Option listing for oslo-config-generator (entry point oslo.config.opts)."""

from trove_lite.conf import api
from trove_lite.conf import compute
from trove_lite.conf import database
from trove_lite.conf import datastores
from trove_lite.conf import default
from trove_lite.conf import guestagent
from trove_lite.conf import quota
from trove_lite.conf import service_credentials
from trove_lite.conf import storage

_MODULES = (default, api, database, compute, datastores, guestagent, quota,
            service_credentials, storage)


def list_opts():
    """Return (group, options) pairs of every trove-lite option."""
    grouped = {}
    for module in _MODULES:
        for group, opts in module.list_opts():
            grouped.setdefault(getattr(group, 'name', group), []).extend(opts)
    return sorted(grouped.items())


def set_defaults(conf=None):
    """Defaults trove-lite sets on options owned by libraries (for the
    sample config; services apply the same through rpc.set_defaults)."""
    from trove_lite.common import rpc
    rpc.set_defaults()
