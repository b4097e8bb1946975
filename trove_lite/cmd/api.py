"""trove-lite-api: the REST API under gunicorn.

The application is built in each worker after the fork, so every worker
has its own database engine and RPC transport.
"""

import sys

from gunicorn.app import base as gunicorn_base

from trove_lite.common import service
from trove_lite.conf import CONF


class APIServer(gunicorn_base.BaseApplication):
    """gunicorn with its options taken from trove-lite's config."""

    def __init__(self, argv):
        self.argv = argv
        super().__init__()

    def load_config(self):
        self.cfg.set('bind', f'{CONF.bind_host}:{CONF.bind_port}')
        self.cfg.set('workers', CONF.trove_api_workers)
        self.cfg.set('worker_class', 'gthread')
        self.cfg.set('threads', CONF.api_worker_threads)
        # Clients stop reusing a connection idle for less than this
        # (cli/client.py, Client.IDLE_REUSE).
        self.cfg.set('keepalive', 5)
        self.cfg.set('proc_name', 'trove-lite-api')
        self.cfg.set('accesslog', None)
        self.cfg.set('graceful_timeout', 5)
        # gunicorn's control socket is one fixed path per user: two API
        # servers on a machine (tests, quickstart) would fight over it.
        if 'control_socket_disable' in self.cfg.settings:
            self.cfg.set('control_socket_disable', True)

    def load(self):
        from trove_lite.api import app
        return app.setup_app()


def main():
    service.prepare_service(sys.argv)
    APIServer(sys.argv).run()


if __name__ == '__main__':
    main()
