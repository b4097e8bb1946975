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
from trove_lite.api import rendering
from trove_lite.api import request
from trove_lite.api.controllers import base
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

DEFAULT_CONFIG = '/etc/trove-lite/trove-lite.conf'


def setup_app():
    """Build the pipeline from the already-loaded config."""
    pecan_speedup.install()
    application = pecan.make_app(
        'trove_lite.api.controllers.root.RootController',
        hooks=[hooks.ContextHook(), hooks.RateLimitHook(),
               hooks.FaultHook()],
        force_canonical=False, guess_content_type_from_ext=False,
        request_cls=request.Request, debug=False,
        custom_renderers={'json': rendering.JsonRenderer})
    application = EmptyOK(application)
    application = faults.JsonBodyGuard(application)
    application = faults.BodySizeLimit(application,
                                       CONF.max_request_body_size)
    if CONF.auth_strategy == 'keystone':
        application = TokenRequired(application)
        LOG.info('auth_strategy is keystone: every project request needs '
                 'a valid token for the project in its URL')
    else:
        LOG.warning('auth_strategy is noauth: requests are NOT '
                    'authenticated; the project comes from the URL and '
                    'the roles from the X-Roles header. Use it only on a '
                    'machine of your own.')
    application = faults.FaultWrapper(application)
    return faults.RequestId(application)


class EmptyOK:
    """Pecan answers 204 for any 200 without a body, but Trove answers a
    configuration PATCH with 200 and no body (and tempest checks it): a
    controller that means it says so in the environ (``base.EMPTY_OK``)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        def restore_ok(status, headers, exc_info=None):
            if environ.get(base.EMPTY_OK) and status.startswith('204'):
                status = '200 OK'
                headers = [(name, value) for name, value in headers
                           if name.lower() not in ('content-type',
                                                   'content-length')]
                headers += [('Content-Type', faults.JSON),
                            ('Content-Length', '0')]
            return start_response(status, headers, exc_info)

        return self.application(environ, restore_ok)


class TokenRequired:
    """keystonemiddleware's ``auth_token`` (configured by
    ``[keystone_authtoken]``) in front of everything but the version
    documents, which Trove serves to anyone."""

    PUBLIC_PATHS = frozenset(['', '/', '/v1.0', '/v1.0/'])

    def __init__(self, application):
        from keystonemiddleware import auth_token
        self.public = application
        self.protected = auth_token.AuthProtocol(
            application, {'oslo_config_config': CONF})

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in self.PUBLIC_PATHS:
            return self.public(environ, start_response)
        return self.protected(environ, start_response)


def load_app():
    """Parse config (once per process) and return the application."""
    from trove_lite.common import service
    config_file = os.environ.get('TROVE_LITE_CONFIG', DEFAULT_CONFIG)
    files = [config_file] if os.path.exists(config_file) else []
    service.prepare_service(['trove-lite-api'], default_config_files=files)
    return setup_app()
