"""``trove-lite log ...``: the database logs of an instance: list, show,
enable, disable, publish, discard and tail (Trove's guest logs)."""

import os
import time

import swiftclient
from cliff import command
from cliff import lister
from cliff import show
from keystoneauth1 import session as ksa_session
from swiftclient import exceptions as swift_exceptions

from trove_lite.cli import client as api_client
from trove_lite.cli import lookup

COLUMNS = ('name', 'type', 'status', 'published', 'pending', 'container',
           'prefix', 'metafile')


def log_path(instance):
    return f'/instances/{api_client.quote(instance["id"])}/log'


class ListLogs(lookup.OnInstance, lister.Lister):
    """List the logs of an instance."""

    def take_action(self, args):
        logs = self.app.client.get(log_path(self.instance(args)))['logs']
        return COLUMNS[:5], [tuple(log[key] for key in COLUMNS[:5])
                             for log in logs]


class LogCommand(lookup.OnInstance, show.ShowOne):
    """Show a log of an instance."""

    action = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('log', metavar='LOG',
                            help='Name of the log (general, slow_query, '
                                 'error).')
        return parser

    def take_action(self, args):
        body = {'name': args.log}
        if self.action:
            body[self.action] = 1
        log = self.app.client.post(log_path(self.instance(args)),
                                   body)['log']
        return COLUMNS, tuple(log[key] for key in COLUMNS)


class ShowLog(LogCommand):
    """Show a log of an instance."""


class EnableLog(LogCommand):
    """Turn a log of an instance on (at once, and for every later start)."""

    action = 'enable'


class DisableLog(LogCommand):
    """Turn a log of an instance off."""

    action = 'disable'


class PublishLog(LogCommand):
    """Publish what a log gained since its last publish to the backup
    storage (its container and prefix)."""

    action = 'publish'


class DiscardLog(LogCommand):
    """Remove every published part of a log from the backup storage."""

    action = 'discard'


class TailLog(lookup.OnInstance, command.Command):
    """Print the newest lines of a log; with --follow, keep publishing it
    and print what it gains. Reads the published parts from Swift with
    the project's own credentials (python-troveclient's log_generator
    does the same)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('log', metavar='LOG',
                            help='Name of the log (general, slow_query, '
                                 'error).')
        parser.add_argument('--lines', type=int, default=20, metavar='N',
                            help='Newest lines printed first (default 20).')
        parser.add_argument('--follow', action='store_true',
                            help='Keep publishing and printing new lines '
                                 'until interrupted.')
        parser.add_argument('--interval', type=float, default=5.0,
                            metavar='SECONDS',
                            help='Seconds between two publishes with '
                                 '--follow (default 5).')
        parser.add_argument('--storage-url',
                            default=os.environ.get('OS_STORAGE_URL'),
                            help='Swift storage URL of the project\'s account '
                                 '(env OS_STORAGE_URL). Default: from the '
                                 'Keystone catalogue.')
        parser.add_argument('--storage-token',
                            default=os.environ.get('OS_STORAGE_TOKEN'),
                            help='Token for --storage-url (env '
                                 'OS_STORAGE_TOKEN). Default: the Keystone '
                                 'token.')
        return parser

    def take_action(self, args):
        path = log_path(self.instance(args))
        swift = self._swift(args)
        printed = set()
        first = True
        while True:
            log = self.app.client.post(path, {'name': args.log,
                                              'publish': 1})['log']
            new = self._read_new(swift, log, printed)
            lines = new.splitlines(keepends=True)
            if first:
                lines = lines[-args.lines:] if args.lines > 0 else []
                first = False
            self.app.stdout.write(''.join(lines))
            self.app.stdout.flush()
            if not args.follow:
                return
            time.sleep(args.interval)

    def _swift(self, args):
        if args.storage_url and args.storage_token:
            return swiftclient.Connection(preauthurl=args.storage_url,
                                          preauthtoken=args.storage_token)
        auth = self.app.client.adapter.auth
        if auth is None or not hasattr(auth, 'get_project_id'):
            raise api_client.APIError(
                'Reading a log needs Swift: pass --storage-url and '
                '--storage-token (or use Keystone credentials).')
        return swiftclient.Connection(session=ksa_session.Session(
            auth=auth, verify=self.app.client.adapter.session.verify))

    @staticmethod
    def _read_new(swift, log, printed):
        """The text of the published parts not printed yet, in order."""
        try:
            _, listing = swift.get_container(log['container'],
                                             prefix=log['prefix'],
                                             full_listing=True)
        except swift_exceptions.ClientException as error:
            if error.http_status == 404:
                return ''
            raise api_client.APIError(f'Swift: {error}') from None
        text = []
        for name in sorted(item['name'] for item in listing):
            if name in printed:
                continue
            _, body = swift.get_object(log['container'], name)
            text.append(body.decode(errors='replace'))
            printed.add(name)
        return ''.join(text)
