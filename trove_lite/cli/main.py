"""trove-lite: the command line for trove-lite (and Trove) database
instances, built on cliff like python-openstackclient."""

import importlib.metadata
import logging
import sys

from cliff import app
from cliff import commandmanager
from oslo_utils import strutils

from trove_lite.cli import auth

# Libraries that log what the CLI reports itself in one line (a failed
# discovery, an unknown plugin); heard only with --debug.
QUIET_LOGGERS = ('stevedore', 'urllib3', 'keystoneauth', 'iso8601')


class MaskPasswords(logging.Filter):
    """Masks passwords in log records: with --debug keystoneauth1 logs
    request and response bodies (user creation, root enable)."""

    def filter(self, record):
        message = record.getMessage()
        masked = strutils.mask_password(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class TroveLiteApp(app.App):
    """The ``trove-lite`` application: global options, the API client,
    and commands from the ``trove_lite.cli`` entry points."""

    NAME = 'trove-lite'

    def __init__(self, stdin=None, stdout=None, stderr=None):
        super().__init__(
            description=__doc__.strip(),
            version=importlib.metadata.version('trove-lite'),
            command_manager=commandmanager.CommandManager('trove_lite.cli'),
            stdin=stdin, stdout=stdout, stderr=stderr,
            deferred_help=True)
        self._client = None

    def build_option_parser(self, description, version, argparse_kwargs=None):
        parser = super().build_option_parser(
            description, version,
            dict(argparse_kwargs or {}, prog=self.NAME))
        auth.register_options(parser)
        return parser

    def configure_logging(self):
        if self.options.debug:
            # As with openstack --debug: show the HTTP exchanges too.
            self.options.verbose_level = max(self.options.verbose_level, 2)
        super().configure_logging()
        for handler in logging.getLogger().handlers:
            handler.addFilter(MaskPasswords())
        if not self.options.debug:
            for name in QUIET_LOGGERS:
                logging.getLogger(name).setLevel(logging.CRITICAL)

    @property
    def client(self):
        """The API client, made on first use so that ``help`` and
        ``complete`` work without an API or credentials."""
        if self._client is None:
            self._client = auth.make_client(self.options)
        return self._client


def main(argv=None):
    return TroveLiteApp().run(sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
