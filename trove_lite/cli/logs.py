"""``trove-lite log ...``: the database logs of an instance: list, show,
enable, disable, publish and discard (Trove's guest logs)."""

from cliff import lister
from cliff import show

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
