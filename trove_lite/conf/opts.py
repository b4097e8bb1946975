"""Option listing for oslo-config-generator (entry point oslo.config.opts),
and the defaults trove-lite sets on options owned by libraries."""

import oslo_messaging as messaging
from oslo_messaging import opts as messaging_opts

from trove_lite.conf import CONF
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
    """Library defaults trove-lite relies on; every service calls this
    before reading its config, and the sample config shows them (entry
    point oslo.config.opts.defaults)."""
    messaging.set_transport_defaults(
        control_exchange=default.CONTROL_EXCHANGE)
    # Register the driver options now so their defaults can be changed
    # before the first transport is built.
    for group, opts in messaging_opts.list_opts():
        CONF.register_opts(opts, group=group)
    CONF.set_default('amqp_durable_queues', default.DURABLE_QUEUES,
                     group='oslo_messaging_rabbit')
