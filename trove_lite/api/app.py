"""The WSGI application: Pecan app wrapped in the middleware pipeline.

``load_app()`` is the entry point for any WSGI server (gunicorn:
``gunicorn 'trove_lite.api.app:load_app()'``, uwsgi:
``--module trove_lite.api.wsgi:application``); it reads the config file
named by ``TROVE_LITE_CONFIG`` (default ``/etc/trove-lite/trove-lite.conf``).
"""

import logging
import os

import pecan

from trove_lite.api import faults
from trove_lite.api import hooks
from trove_lite.api import pecan_speedup
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

DEFAULT_CONFIG = '/etc/trove-lite/trove-lite.conf'


def setup_app():
    """Build the pipeline from the already-loaded config."""
    pecan_speedup.install()
    application = pecan.make_app(
        'trove_lite.api.controllers.root.RootController',
        hooks=[hooks.ContextHook(), hooks.FaultHook()],
        force_canonical=False, guess_content_type_from_ext=False,
        debug=False)
    application = faults.BodySizeLimit(application,
                                       CONF.max_request_body_size)
    if CONF.auth_strategy == 'keystone':
        from keystonemiddleware import auth_token
        application = auth_token.AuthProtocol(application, {})
    else:
        LOG.warning('auth_strategy is noauth: requests are not '
                    'authenticated; the project comes from the URL')
    application = faults.FaultWrapper(application)
    return faults.RequestId(application)


def load_app():
    """Parse config (once per process) and return the application."""
    from trove_lite.common import service
    config_file = os.environ.get('TROVE_LITE_CONFIG', DEFAULT_CONFIG)
    files = [config_file] if os.path.exists(config_file) else []
    service.prepare_service(['trove-lite-api'], default_config_files=files)
    return setup_app()
