"""``trove-lite user ...``: the database users of an instance and their
access to databases."""

import getpass

from cliff import command
from cliff import lister
from cliff import show

from trove_lite.cli import client as api_client
from trove_lite.cli import lookup

USER_COLUMNS = ('name', 'host', 'databases')


def users_path(instance):
    return f'/instances/{api_client.quote(instance["id"])}/users'


def user_path(instance, name, host=None):
    """The user's URL: ``name`` or ``name@host``, quoted as
    python-troveclient quotes it (Trove's host defaults to ``%``)."""
    account = f'{name}@{host}' if host else name
    return f'{users_path(instance)}/{api_client.quote(account)}'


def user_row(user):
    return (user['name'], user.get('host', '%'),
            ', '.join(db['name'] for db in user.get('databases') or []))


def read_password(app, prompt):
    """A password typed twice on the terminal; refused without one."""
    if not app.stdin.isatty():
        raise api_client.APIError(
            'No password given: pass --password (there is no terminal to '
            'ask on).')
    first = getpass.getpass(f'{prompt}: ')
    if first != getpass.getpass(f'{prompt} (again): '):
        raise api_client.APIError('The passwords do not match.')
    if not first:
        raise api_client.APIError('The password is empty.')
    return first


class UserCommand(lookup.OnInstance):
    """Mixin: INSTANCE NAME [--host HOST] and finding the instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME', help='User name.')
        parser.add_argument('--host', help='Host of the user (default: '
                                           'any host, %%).')
        return parser

    def path(self, args):
        return user_path(self.instance(args), args.name, args.host)


class CreateUser(UserCommand, command.Command):
    """Create a database user on an instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--password',
                            help='Password (default: asked on the '
                                 'terminal).')
        parser.add_argument('--database', action='append', default=[],
                            metavar='NAME',
                            help='Database the user may use (repeatable).')
        return parser

    def take_action(self, args):
        password = args.password or read_password(self.app, 'Password')
        user = {'name': args.name, 'password': password,
                'databases': [{'name': name} for name in args.database]}
        if args.host:
            user['host'] = args.host
        self.app.client.post(users_path(self.instance(args)),
                             {'users': [user]})


class ListUsers(lookup.OnInstance, lister.Lister):
    """List the database users of an instance."""

    def take_action(self, args):
        return USER_COLUMNS, [user_row(user) for user in
                              self.app.client.list_all(
                                  users_path(self.instance(args)), 'users')]


class ShowUser(UserCommand, show.ShowOne):
    """Show a database user of an instance."""

    def take_action(self, args):
        return USER_COLUMNS, user_row(
            self.app.client.get(self.path(args))['user'])


class DeleteUser(UserCommand, command.Command):
    """Delete a database user from an instance."""

    def take_action(self, args):
        self.app.client.delete(self.path(args))


class SetUser(UserCommand, command.Command):
    """Change a user's name, password or host."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--new-name', help='New user name.')
        parser.add_argument('--new-host', help='New host.')
        parser.add_argument('--new-password', help='New password.')
        parser.add_argument('--prompt-password', action='store_true',
                            help='Ask for the new password on the '
                                 'terminal.')
        return parser

    def take_action(self, args):
        changes = {key: value for key, value in (
            ('name', args.new_name), ('host', args.new_host),
            ('password', args.new_password)) if value}
        if args.prompt_password:
            changes['password'] = read_password(self.app, 'New password')
        if not changes:
            raise api_client.APIError(
                'Nothing to change: give --new-name, --new-host, '
                '--new-password or --prompt-password.')
        self.app.client.put(self.path(args), {'user': changes})


class GrantAccess(UserCommand, command.Command):
    """Give a user access to databases."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('databases', metavar='DATABASE', nargs='+',
                            help='Database to give access to.')
        return parser

    def take_action(self, args):
        self.app.client.put(
            f'{self.path(args)}/databases',
            {'databases': [{'name': name} for name in args.databases]})


class RevokeAccess(UserCommand, command.Command):
    """Take a user's access to a database away."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('database', metavar='DATABASE',
                            help='Database to take access away from.')
        return parser

    def take_action(self, args):
        self.app.client.delete(
            f'{self.path(args)}/databases/{api_client.quote(args.database)}')


class ShowAccess(UserCommand, lister.Lister):
    """List the databases a user has access to."""

    def take_action(self, args):
        body = self.app.client.get(f'{self.path(args)}/databases')
        return ('name',), [(database['name'],)
                           for database in body['databases']]
