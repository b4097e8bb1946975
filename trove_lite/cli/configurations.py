"""``trove-lite configuration ...``: configuration groups, attaching them
to instances, and the parameters a datastore version lets them set."""

import argparse
import json

from cliff import command
from cliff import lister
from cliff import show

from trove_lite.cli import catalogue
from trove_lite.cli import client as api_client
from trove_lite.cli import instances
from trove_lite.cli import lookup

LIST_COLUMNS = ('id', 'name', 'description', 'datastore',
                'datastore_version')
PARAMETER_COLUMNS = ('name', 'type', 'min', 'max', 'restart_required')


def values_argument(text):
    """VALUES: a JSON object of parameter names and values, as
    ``openstack database configuration create`` takes it."""
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise argparse.ArgumentTypeError(
            f'expected a JSON object such as \'{{"max_connections": 200}}\''
            f', not {text!r}')
    return values


def add_values_argument(parser):
    parser.add_argument('values', metavar='VALUES', type=values_argument,
                        help='JSON object of parameter values, e.g. '
                             '\'{"max_connections": 200, '
                             '"slow_query_log": true}\'.')


def add_group_argument(parser):
    parser.add_argument('group', metavar='GROUP',
                        help='Name or ID of the configuration group.')


def group_fields(group):
    """A group's JSON as the flat fields the commands print (values as
    JSON text)."""
    fields = {
        'id': group['id'],
        'name': group['name'],
        'description': group.get('description') or '',
        'datastore': group.get('datastore_name'),
        'datastore_version': group.get('datastore_version_name'),
    }
    if 'values' in group:
        fields['values'] = json.dumps(group['values'], sort_keys=True)
        fields['instance_count'] = group.get('instance_count')
    for key in ('created', 'updated'):
        fields[key] = group.get(key)
    return fields


def group_path(group):
    return f'/configurations/{api_client.quote(group["id"])}'


class ListConfigurations(lister.Lister):
    """List the project's configuration groups."""

    def take_action(self, args):
        rows = []
        for group in self.app.client.list_all('/configurations',
                                              'configurations'):
            fields = group_fields(group)
            rows.append(tuple(fields[column] for column in LIST_COLUMNS))
        return LIST_COLUMNS, rows


class ShowConfiguration(show.ShowOne):
    """Show a configuration group and its values."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_group_argument(parser)
        return parser

    def take_action(self, args):
        return instances.as_columns(group_fields(
            lookup.find_configuration(self.app.client, args.group)))


class CreateConfiguration(show.ShowOne):
    """Create a configuration group.

    Values are checked against the parameters of the datastore version
    (see "trove-lite configuration parameter list").
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='NAME',
                            help='Name of the configuration group.')
        add_values_argument(parser)
        parser.add_argument('--datastore',
                            help="Datastore name or ID (default: the API's "
                                 'default datastore).')
        parser.add_argument('--datastore-version',
                            help="Datastore version name or ID (default: "
                                 "the datastore's default version).")
        parser.add_argument('--description',
                            help='Description of the group.')
        return parser

    def take_action(self, args):
        body = {'name': args.name, 'values': args.values}
        datastore = {key: value for key, value in (
            ('type', args.datastore), ('version', args.datastore_version))
            if value}
        if datastore:
            body['datastore'] = datastore
        if args.description:
            body['description'] = args.description
        group = self.app.client.post('/configurations',
                                     {'configuration': body})
        return instances.as_columns(group_fields(group['configuration']))


class SetConfiguration(command.Command):
    """Set values of a configuration group, keeping its others.

    Every instance the group is attached to gets the new values: at once
    where the database server allows, else at the instance's next restart
    (the instance shows RESTART_REQUIRED).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_group_argument(parser)
        add_values_argument(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        group = lookup.find_configuration(client, args.group)
        client.patch(group_path(group),
                     {'configuration': {'values': args.values}})


class UpdateConfiguration(command.Command):
    """Replace all values of a configuration group (values it had that
    VALUES lacks go back to their defaults), and rename it.

    Attached instances get the change as with "configuration set".
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_group_argument(parser)
        add_values_argument(parser)
        parser.add_argument('--name', help='New name of the group.')
        parser.add_argument('--description',
                            help='New description of the group.')
        return parser

    def take_action(self, args):
        client = self.app.client
        group = lookup.find_configuration(client, args.group)
        body = {'values': args.values}
        for key in ('name', 'description'):
            if getattr(args, key):
                body[key] = getattr(args, key)
        client.put(group_path(group), {'configuration': body})


class DeleteConfiguration(command.Command):
    """Delete a configuration group (no instance may use it)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_group_argument(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        client.delete(group_path(lookup.find_configuration(client,
                                                           args.group)))


class ListConfigurationInstances(lister.Lister):
    """List the instances a configuration group is attached to."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_group_argument(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        group = lookup.find_configuration(client, args.group)
        return ('id', 'name'), [
            (instance['id'], instance['name']) for instance in
            client.list_all(f'{group_path(group)}/instances', 'instances')]


class AttachConfiguration(lookup.OnInstance, command.Command):
    """Attach a configuration group to an instance.

    Values the database server takes while running apply at once; if
    one needs a restart, the instance shows RESTART_REQUIRED until
    "trove-lite instance restart".
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_group_argument(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        instance = self.instance(args)
        group = lookup.find_configuration(client, args.group)
        client.put(f'/instances/{api_client.quote(instance["id"])}',
                   {'instance': {'configuration': group['id']}})
        self.app.stderr.write(
            f'Attached configuration group {group["name"]} to instance '
            f'{instance["name"]}.\n')


class DetachConfiguration(lookup.OnInstance, command.Command):
    """Detach the configuration group of an instance (its values go back
    to the defaults)."""

    def take_action(self, args):
        client = self.app.client
        instance = self.instance(args)
        client.put(f'/instances/{api_client.quote(instance["id"])}',
                   {'instance': {'configuration': None}})


class ShowInstanceConfiguration(lookup.OnInstance, show.ShowOne):
    """Show the settings the database server of an instance runs with
    (its configuration group's values included)."""

    def take_action(self, args):
        instance = self.instance(args)
        settings = self.app.client.get(
            f'/instances/{api_client.quote(instance["id"])}/configuration'
        )['instance']['configuration']
        return instances.as_columns(dict(sorted(settings.items())))


def _add_version_arguments(parser):
    parser.add_argument('version', metavar='VERSION',
                        help='Name or ID of the datastore version.')
    parser.add_argument('--datastore',
                        help='Name or ID of the datastore (needed to find '
                             'a version by name).')


def parameter_fields(parameter):
    fields = {column: parameter.get(column, '')
              for column in PARAMETER_COLUMNS}
    if parameter.get('values'):
        separator = ' (comma-separated list)' if parameter.get(
            'multiple') else ''
        fields['values'] = ', '.join(parameter['values']) + separator
    return fields


class ListParameters(lister.Lister):
    """List the parameters configuration groups of a datastore version
    can set."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_version_arguments(parser)
        return parser

    def take_action(self, args):
        parameters = self.app.client.get(
            catalogue.version_path(args.version, args.datastore) +
            '/parameters')['configuration-parameters']
        return PARAMETER_COLUMNS, [
            tuple(parameter_fields(parameter)[column]
                  for column in PARAMETER_COLUMNS)
            for parameter in parameters]


class ShowParameter(show.ShowOne):
    """Show a parameter of a datastore version."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_version_arguments(parser)
        parser.add_argument('parameter', metavar='PARAMETER',
                            help='Name of the parameter.')
        return parser

    def take_action(self, args):
        parameter = self.app.client.get(
            catalogue.version_path(args.version, args.datastore) +
            f'/parameters/{api_client.quote(args.parameter)}')
        return instances.as_columns(parameter_fields(parameter))
