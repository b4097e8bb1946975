"""``trove-lite db ...``: the databases of an instance."""

from cliff import command
from cliff import lister

from trove_lite.cli import client as api_client
from trove_lite.cli import lookup


def databases_path(instance):
    return f'/instances/{api_client.quote(instance["id"])}/databases'


class CreateDatabase(lookup.OnInstance, command.Command):
    """Create a database on an instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME',
                            help='Name of the database.')
        parser.add_argument('--character-set',
                            help='Character set (default: the server\'s).')
        parser.add_argument('--collate',
                            help='Collation (default: the character '
                                 "set's default).")
        return parser

    def take_action(self, args):
        database = {'name': args.name}
        if args.character_set:
            database['character_set'] = args.character_set
        if args.collate:
            database['collate'] = args.collate
        self.app.client.post(databases_path(self.instance(args)),
                             {'databases': [database]})


class ListDatabases(lookup.OnInstance, lister.Lister):
    """List the databases of an instance."""

    def take_action(self, args):
        return ('name',), [(database['name'],) for database in
                           self.app.client.list_all(
                               databases_path(self.instance(args)),
                               'databases')]


class DeleteDatabase(lookup.OnInstance, command.Command):
    """Delete a database (and its data) from an instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME',
                            help='Name of the database.')
        return parser

    def take_action(self, args):
        self.app.client.delete(f'{databases_path(self.instance(args))}/'
                               f'{api_client.quote(args.name)}')
