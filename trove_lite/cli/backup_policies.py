"""``trove-lite instance restore`` (to a point in time) and ``trove-lite
instance set`` (the backup policy), and the policy options of
``instance create``."""

import argparse
import datetime

from cliff import command
from cliff import show

from trove_lite.cli import client as api_client
from trove_lite.cli import instances
from trove_lite.cli import lookup
from trove_lite.cli import policy_options
from trove_lite.cli import waiting


def utc_time(text):
    """An ISO 8601 time; one without an offset is UTC."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not an ISO 8601 time such as '
            f'2026-12-06T10:15:00Z') from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


class RestoreInstance(show.ShowOne):
    """Create an instance holding another's data as at a second of its
    backup policy's window (the source may be deleted)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('source', metavar='SOURCE',
                            help='ID of the instance to restore (a deleted '
                                 'one by ID), or its name.')
        parser.add_argument('--to-time', required=True, type=utc_time,
                            metavar='TIME',
                            help='ISO 8601 time to restore to; UTC unless '
                                 'it has an offset.')
        parser.add_argument('--name', required=True,
                            help='Name of the new instance.')
        parser.add_argument('--flavor',
                            help='Flavor name or ID (default: the '
                                 "source's).")
        parser.add_argument('--size', type=instances.positive_int,
                            metavar='GB',
                            help="Volume size in GB (default: the "
                                 "source's).")
        policy_options.add_arguments(parser)
        waiting.add_arguments(parser)
        return parser

    def _source(self, client, reference):
        """The source's id and, while it exists, its JSON."""
        try:
            return lookup.find_instance(client, reference)
        except api_client.APIError:
            # A deleted instance is restored by its id alone.
            return {'id': reference}

    def take_action(self, args):
        client = self.app.client
        source = self._source(client, args.source)
        flavor = args.flavor or (source.get('flavor') or {}).get('id')
        size = args.size or (source.get('volume') or {}).get('size')
        if flavor is None or size is None:
            raise api_client.APIError(
                'The source is gone: give --flavor and --size.')
        body = {'name': args.name,
                'flavorRef': lookup.flavor_id(lookup.find_flavor(client,
                                                                 flavor)),
                'volume': {'size': size},
                'restorePoint': {'instanceRef': source['id'],
                                 'restoreTime': args.to_time}}
        datastore = source.get('datastore')
        if datastore:
            body['datastore'] = {'type': datastore['type'],
                                 'version': datastore['version']}
        policy = policy_options.body(args)
        if policy:
            body['backup_policy'] = policy
        instance = client.post('/instances', {'instance': body})['instance']
        if args.wait:
            instance = waiting.Waiter(client, self.app.stderr,
                                      args.timeout).wait(
                instance, waiting.is_ready, 'the restore')
        return instances.as_columns(instances.instance_fields(instance))


class SetInstance(lookup.OnInstance, command.Command):
    """Set or remove an instance's backup policy."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        policy_options.add_arguments(parser)
        parser.add_argument('--no-backup-policy', action='store_true',
                            help='Remove the backup policy (what was '
                                 'archived is kept for its retention).')
        return parser

    def take_action(self, args):
        client = self.app.client
        instance = self.instance(args)
        policy = policy_options.body(args)
        if args.no_backup_policy == (policy is not None):
            raise api_client.APIError(
                'Give either --backup-retention-days with --backup-window, '
                'or --no-backup-policy.')
        client.put(f'/instances/{api_client.quote(instance["id"])}',
                   {'instance': {'backup_policy': policy}})
