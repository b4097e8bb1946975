"""trove-lite configuration: every option group lives in its own module.

Importing this package registers all options on ``oslo_config.cfg.CONF``
(oslo.messaging registers its own there too, when opts.set_defaults
runs), so any module can ``from trove_lite.conf import CONF``.
"""

from oslo_config import cfg

from trove_lite.conf import api
from trove_lite.conf import compute
from trove_lite.conf import database
from trove_lite.conf import datastores
from trove_lite.conf import default
from trove_lite.conf import guestagent
from trove_lite.conf import quota
from trove_lite.conf import service_credentials
from trove_lite.conf import storage

CONF = cfg.CONF

for _module in (default, api, database, compute, datastores, guestagent,
                quota, service_credentials, storage):
    _module.register_opts(CONF)
