"""``trove-lite flavor ...``, ``datastore ...`` and ``datastore version
...``: what instances can be made of."""

import uuid

from cliff import lister
from cliff import show

from trove_lite.cli import client as api_client
from trove_lite.cli import lookup

FLAVOR_COLUMNS = ('id', 'name', 'ram', 'vcpus', 'disk', 'ephemeral')
VERSION_COLUMNS = ('id', 'name', 'version')


def flavor_row(flavor):
    return (lookup.flavor_id(flavor),) + tuple(
        flavor.get(column) for column in FLAVOR_COLUMNS[1:])


def datastore_fields(datastore):
    versions = datastore.get('versions') or []
    default = next((version['name'] for version in versions
                    if version['id'] == datastore.get('default_version')),
                   '')
    return {'id': datastore['id'], 'name': datastore['name'],
            'default_version': default,
            'versions': ', '.join(version['name'] for version in versions)}


class ListFlavors(lister.Lister):
    """List the flavors instances can have."""

    def take_action(self, args):
        return FLAVOR_COLUMNS, [flavor_row(flavor) for flavor in
                                self.app.client.get('/flavors')['flavors']]


class ShowFlavor(show.ShowOne):
    """Show a flavor."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('flavor', metavar='FLAVOR',
                            help='Name or ID of the flavor.')
        return parser

    def take_action(self, args):
        return FLAVOR_COLUMNS, flavor_row(
            lookup.find_flavor(self.app.client, args.flavor))


class ListDatastores(lister.Lister):
    """List the datastores and their versions."""

    COLUMNS = ('id', 'name', 'default_version', 'versions')

    def take_action(self, args):
        rows = []
        for datastore in self.app.client.list_all('/datastores',
                                                  'datastores'):
            fields = datastore_fields(datastore)
            rows.append(tuple(fields[column] for column in self.COLUMNS))
        return self.COLUMNS, rows


class ShowDatastore(show.ShowOne):
    """Show a datastore."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('datastore', metavar='DATASTORE',
                            help='Name or ID of the datastore.')
        return parser

    def take_action(self, args):
        datastore = self.app.client.get(
            f'/datastores/{api_client.quote(args.datastore)}')['datastore']
        fields = datastore_fields(datastore)
        return tuple(fields), tuple(fields.values())


class ListDatastoreVersions(lister.Lister):
    """List the versions of a datastore."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('datastore', metavar='DATASTORE',
                            help='Name or ID of the datastore.')
        return parser

    def take_action(self, args):
        versions = self.app.client.list_all(
            f'/datastores/{api_client.quote(args.datastore)}/versions',
            'versions')
        return VERSION_COLUMNS, [
            tuple(version.get(column) for column in VERSION_COLUMNS)
            for version in versions]


class ShowDatastoreVersion(show.ShowOne):
    """Show a datastore version (by ID, or by name with --datastore)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('version', metavar='VERSION',
                            help='Name or ID of the version.')
        parser.add_argument('--datastore',
                            help='Name or ID of the datastore (needed to '
                                 'find a version by name).')
        return parser

    def take_action(self, args):
        version = self.app.client.get(
            version_path(args.version, args.datastore))['version']
        columns = VERSION_COLUMNS + ('datastore',) + tuple(
            key for key in ('active', 'image', 'packages') if key in version)
        return columns, tuple(version.get(column) for column in columns)


def version_path(version, datastore=None):
    """The API path of a datastore version: by name or ID under its
    datastore, or by ID alone."""
    if datastore:
        return (f'/datastores/{api_client.quote(datastore)}/versions/'
                f'{api_client.quote(version)}')
    if _is_uuid(version):
        return f'/datastores/versions/{version}'
    raise api_client.APIError('Give --datastore to find a version by name.')


def _is_uuid(text):
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
