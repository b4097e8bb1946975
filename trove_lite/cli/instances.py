"""``trove-lite instance ...`` commands."""

import sys
import time
import urllib.parse

from cliff import command
from cliff import lister
from cliff import show

from trove_lite.cli import client as api_client

SPINNER = '|/-\\'
# Statuses in which an instance is still on its way somewhere.
BUSY = {'BUILD', 'REBOOT', 'RESIZE', 'SHUTDOWN', 'BACKUP', 'UPGRADE',
        'PROMOTE', 'EJECT', 'DETACH'}


def flatten(instance):
    """An instance's JSON as (columns, values) for cliff."""
    row = {
        'id': instance['id'],
        'name': instance['name'],
        'status': instance['status'],
        'operating_status': instance.get('operating_status', ''),
        'flavor': instance['flavor']['id'],
        'datastore': instance['datastore'].get('type'),
        'datastore_version': instance['datastore'].get('version'),
        'volume': (instance.get('volume') or {}).get('size'),
        'ip': ', '.join(instance.get('ip', [])),
        'created': instance.get('created'),
    }
    if 'fault' in instance:
        row['fault'] = instance['fault']['message']
    return tuple(row), tuple(row.values())


def all_pages(client, path, key):
    """Every item of a paginated list, following the ``next`` links."""
    params = None
    while True:
        page = client.get(path, params=params)
        yield from page[key]
        next_links = [link for link in page.get('links', [])
                      if link.get('rel') == 'next']
        if not next_links or not page[key]:
            return
        query = urllib.parse.urlparse(next_links[0]['href']).query
        params = {'marker': urllib.parse.parse_qs(query)['marker'][0]}


def find_instance(client, name_or_id):
    """An instance by id, or by its unique name."""
    try:
        return client.get(f'/instances/{name_or_id}')['instance']
    except api_client.APIError as error:
        if error.status_code != 404:
            raise
    matches = [i for i in all_pages(client, '/instances', 'instances')
               if i['name'] == name_or_id]
    if len(matches) != 1:
        raise api_client.APIError(
            404, f'No single instance with name or id {name_or_id!r} '
                 f'({len(matches)} found).')
    return client.get(f'/instances/{matches[0]["id"]}')['instance']


class Progress:
    """A live status line: a spinner on a terminal, a plain line per
    change otherwise."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.last = None
        self.tick = 0

    def update(self, status, elapsed):
        if self.tty:
            self.tick += 1
            spin = SPINNER[self.tick % len(SPINNER)]
            self.stream.write(f'\r{spin} {status:<24} {elapsed:6.1f}s')
            self.stream.flush()
        elif status != self.last:
            self.stream.write(f'{status} after {elapsed:.1f}s\n')
            self.stream.flush()
        self.last = status

    def done(self):
        if self.tty:
            self.stream.write('\n')


def wait_for(client, instance_id, timeout, until, stream):
    """Poll until ``until(instance)`` (instance None once deleted) is true;
    returns the last instance seen. Raises on ERROR or timeout."""
    progress = Progress(stream)
    started = time.monotonic()
    try:
        while True:
            elapsed = time.monotonic() - started
            try:
                instance = client.get(f'/instances/{instance_id}')[
                    'instance']
            except api_client.APIError as error:
                if error.status_code != 404:
                    raise
                instance = None
            label = 'DELETED' if instance is None else (
                f'{instance["status"]} '
                f'{instance.get("operating_status") or ""}'.strip())
            progress.update(label, elapsed)
            if until(instance):
                return instance
            if instance is not None and instance['status'] == 'ERROR':
                fault = instance.get('fault', {}).get('message',
                                                      'no fault recorded')
                raise api_client.APIError(
                    0, f'Instance {instance_id} went to ERROR: {fault}')
            if elapsed > timeout:
                raise api_client.APIError(
                    0, f'Timed out after {timeout}s waiting for instance '
                       f'{instance_id} (last status {label}).')
            time.sleep(0.2 if elapsed < 5 else 1)
    finally:
        progress.done()


def is_ready(instance):
    return instance is not None and instance['status'] == 'ACTIVE' and \
        instance.get('operating_status') == 'HEALTHY'


def add_wait_arguments(parser):
    parser.add_argument('--wait', action='store_true',
                        help='Wait until the operation has finished.')
    parser.add_argument('--timeout', type=float, default=600,
                        help='Seconds to wait with --wait '
                             '(default %(default)s).')


def parse_user(text):
    """``name:password[@host]`` as a user body."""
    name, sep, password = text.partition(':')
    if not sep or not name or not password:
        raise api_client.APIError(
            0, f'--user takes name:password[@host], not {text!r}')
    user = {'name': name, 'password': password}
    if '@' in password:
        password, host = password.rsplit('@', 1)
        user.update(password=password, host=host)
    return user


class CreateInstance(show.ShowOne):
    """Create a database instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', help='Name of the instance.')
        parser.add_argument('--flavor', required=True,
                            help='Flavor id or name.')
        parser.add_argument('--size', type=int,
                            help='Volume size in GB.')
        parser.add_argument('--datastore', help='Datastore name or id.')
        parser.add_argument('--datastore-version',
                            help='Datastore version name or id.')
        parser.add_argument('--database', action='append', default=[],
                            help='Database to create (repeatable).')
        parser.add_argument('--user', action='append', default=[],
                            metavar='NAME:PASSWORD[@HOST]',
                            help='User to create with access to every '
                                 '--database (repeatable).')
        add_wait_arguments(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        body = {'name': args.name, 'flavorRef': self._flavor(client,
                                                             args.flavor)}
        if args.size is not None:
            body['volume'] = {'size': args.size}
        if args.datastore or args.datastore_version:
            body['datastore'] = {'type': args.datastore,
                                 'version': args.datastore_version}
        if args.database:
            body['databases'] = [{'name': name} for name in args.database]
        if args.user:
            body['users'] = [dict(parse_user(text), databases=[
                {'name': name} for name in args.database])
                for text in args.user]
        instance = client.post('/instances', {'instance': body})['instance']
        if args.wait:
            instance = wait_for(client, instance['id'], args.timeout,
                                is_ready, sys.stderr)
        return flatten(instance)

    @staticmethod
    def _flavor(client, ref):
        try:
            return client.get(f'/flavors/{ref}')['flavor']['str_id']
        except api_client.APIError as error:
            if error.status_code != 404:
                raise
        for flavor in client.get('/flavors')['flavors']:
            if flavor['name'] == ref:
                return flavor['str_id']
        raise api_client.APIError(404, f'No flavor {ref!r}.')


class ListInstances(lister.Lister):
    """List the project's instances."""

    COLUMNS = ('id', 'name', 'status', 'operating_status', 'flavor',
               'datastore', 'datastore_version', 'volume', 'ip', 'created')

    def take_action(self, args):
        rows = [flatten(instance)[1][:len(self.COLUMNS)]
                for instance in all_pages(self.app.client, '/instances',
                                          'instances')]
        return self.COLUMNS, rows


class ShowInstance(show.ShowOne):
    """Show one instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('instance', help='Instance name or id.')
        return parser

    def take_action(self, args):
        return flatten(find_instance(self.app.client, args.instance))


class DeleteInstance(command.Command):
    """Delete an instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('instance', help='Instance name or id.')
        add_wait_arguments(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        instance = find_instance(client, args.instance)
        client.delete(f'/instances/{instance["id"]}')
        if args.wait:
            wait_for(client, instance['id'], args.timeout,
                     lambda found: found is None, sys.stderr)
        return 0
