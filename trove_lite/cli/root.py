"""``trove-lite root ...``: the datastore's root user of an instance."""

from cliff import command
from cliff import show

from trove_lite.cli import client as api_client
from trove_lite.cli import lookup


def root_path(instance):
    return f'/instances/{api_client.quote(instance["id"])}/root'


class InstanceRootCommand(lookup.OnInstance):
    """Mixin: the INSTANCE argument and the instance's root path."""

    def path(self, args):
        return root_path(self.instance(args))


class EnableRoot(InstanceRootCommand, show.ShowOne):
    """Enable root on an instance and print its password.

    The API returns the password only here, once.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--password',
                            help='Password to set (default: the API '
                                 'generates one).')
        return parser

    def take_action(self, args):
        body = {'password': args.password} if args.password else None
        user = self.app.client.post(self.path(args), body)['user']
        return ('name', 'password'), (user['name'], user['password'])


class ShowRoot(InstanceRootCommand, show.ShowOne):
    """Show whether root has been enabled on an instance."""

    def take_action(self, args):
        body = self.app.client.get(self.path(args))
        return ('root_enabled',), (body['rootEnabled'],)


class DisableRoot(InstanceRootCommand, command.Command):
    """Disable the root user of an instance."""

    def take_action(self, args):
        self.app.client.delete(self.path(args))
