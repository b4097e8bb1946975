"""``trove-lite instance ...``: create, list, show, delete, restart,
resize, reset-status, and the ``mariadb`` command line to connect
(replicas: cli/replicas.py)."""

import argparse
import shlex

from cliff import command
from cliff import lister
from cliff import show

from trove_lite.cli import backups
from trove_lite.cli import client as api_client
from trove_lite.cli import lookup
from trove_lite.cli import policy_options
from trove_lite.cli import replica_options
from trove_lite.cli import waiting

LIST_COLUMNS = ('id', 'name', 'datastore', 'datastore_version', 'status',
                'operating_status', 'ip', 'flavor', 'volume')
# MySQL and MariaDB guests listen on the standard port on their address.
DATASTORE_PORT = 3306
CLIENT_PROGRAM = 'mariadb'


def instance_fields(instance):
    """An instance's JSON as the flat fields the commands print."""
    datastore = instance.get('datastore') or {}
    volume = instance.get('volume') or {}
    fields = {
        'id': instance['id'],
        'name': instance['name'],
        'status': instance['status'],
        'operating_status': instance.get('operating_status') or '',
        'datastore': datastore.get('type'),
        'datastore_version': datastore.get('version'),
        'flavor': (instance.get('flavor') or {}).get('id'),
        'volume': volume.get('size'),
        'ip': ', '.join(instance.get('ip') or []),
    }
    if volume.get('used') is not None:
        fields['volume_used'] = volume['used']
    if instance.get('configuration'):
        fields['configuration'] = instance['configuration']['id']
    for key in ('created', 'updated'):
        if key in instance:
            fields[key] = instance[key]
    if instance.get('fault'):
        fields['fault'] = instance['fault'].get('message')
    fields.update(policy_options.fields(instance))
    fields.update(replica_options.fields(instance))
    return fields


def as_columns(fields):
    return tuple(fields), tuple(fields.values())


def action_path(instance):
    return f'/instances/{api_client.quote(instance["id"])}/action'


def parse_user(text):
    """``NAME[@HOST]:PASSWORD`` as a user body (the password is all after
    the first ``:``, so it may hold ``:`` and ``@``), or ``NAME[@HOST]``
    alone, whose password comes from --user-password-file."""
    account, sep, password = text.partition(':')
    name, at, host = account.rpartition('@')
    if not at:
        name, host = account, None
    if not name or (sep and not password) or (at and not host):
        raise argparse.ArgumentTypeError(
            f'expected NAME[@HOST][:PASSWORD], not {text!r}')
    user = {'name': name}
    if password:
        user['password'] = password
    if host:
        user['host'] = host
    return user


def read_password_file(path):
    """The password in a file (its first line): a password there is not
    on the command line, where ``ps`` shows it to every local user."""
    try:
        with open(path) as source:
            password = source.readline().rstrip('\r\n')
    except OSError as error:
        raise api_client.APIError(
            f'Cannot read the password file {path}: {error.strerror}') \
            from None
    if not password:
        raise api_client.APIError(f'The password file {path} is empty.')
    return password


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a whole number') from None
    if value < 1:
        raise argparse.ArgumentTypeError('must be at least 1')
    return value


class CreateInstance(show.ShowOne):
    """Create a database instance."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', help='Name of the instance.')
        parser.add_argument('--flavor', required=True,
                            help='Flavor name or ID.')
        parser.add_argument('--size', type=positive_int, metavar='GB',
                            help='Size of the data volume in GB.')
        parser.add_argument('--volume-type', help='Volume type.')
        parser.add_argument('--datastore',
                            help='Datastore name or ID (default: the '
                                 "API's default datastore).")
        parser.add_argument('--datastore-version',
                            help="Datastore version name or ID (default: "
                                 "the datastore's default version).")
        parser.add_argument('--database', action='append', default=[],
                            metavar='NAME',
                            help='Database to create (repeatable).')
        parser.add_argument('--user', action='append', default=[],
                            type=parse_user,
                            metavar='NAME[@HOST][:PASSWORD]',
                            help='User to create, with access to every '
                                 '--database (repeatable). Without '
                                 ':PASSWORD its password is read from '
                                 '--user-password-file.')
        parser.add_argument('--user-password-file', metavar='FILE',
                            help='File whose first line is the password '
                                 'of each --user given without one (keeps '
                                 'it off the command line).')
        parser.add_argument('--configuration', metavar='GROUP',
                            help='Name or ID of a configuration group to '
                                 'attach.')
        parser.add_argument('--backup', metavar='BACKUP',
                            help='Name or ID of a backup whose data the '
                                 'instance starts with (a restore; the '
                                 "datastore defaults to the backup's).")
        policy_options.add_arguments(parser)
        replica_options.add_arguments(parser)
        waiting.add_arguments(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        flavor = lookup.find_flavor(client, args.flavor)
        body = {'name': args.name, 'flavorRef': lookup.flavor_id(flavor)}
        if args.size is not None:
            body['volume'] = {'size': args.size}
            if args.volume_type:
                body['volume']['type'] = args.volume_type
        datastore = {key: value for key, value in (
            ('type', args.datastore), ('version', args.datastore_version))
            if value}
        if datastore:
            body['datastore'] = datastore
        databases = [{'name': name} for name in args.database]
        if databases:
            body['databases'] = databases
        if args.user:
            body['users'] = [dict(user, databases=databases)
                             for user in self._with_passwords(args)]
        if args.configuration:
            body['configuration'] = lookup.find_configuration(
                client, args.configuration)['id']
        if args.backup:
            backup = backups.find_backup(client, args.backup)
            body['restorePoint'] = {'backupRef': backup['id']}
            # The backup's datastore, unless another is asked for (the
            # API then says which may restore it).
            if 'datastore' not in body and backup.get('datastore'):
                body['datastore'] = {
                    'type': backup['datastore']['type'],
                    'version': backup['datastore']['version']}
        policy = policy_options.body(args)
        if policy:
            body['backup_policy'] = policy
        body.update(replica_options.body(client, args))
        instance = client.post('/instances', {'instance': body})['instance']
        if args.wait:
            instance = waiting.Waiter(client, self.app.stderr,
                                      args.timeout).wait(
                instance, waiting.is_ready, 'the build')
        return as_columns(instance_fields(instance))

    @staticmethod
    def _with_passwords(args):
        if all('password' in user for user in args.user):
            return args.user
        if not args.user_password_file:
            raise api_client.APIError(
                'A --user without :PASSWORD needs --user-password-file.')
        password = read_password_file(args.user_password_file)
        return [user if 'password' in user else dict(user, password=password)
                for user in args.user]


class ListInstances(lister.Lister):
    """List the project's instances."""

    def take_action(self, args):
        rows = []
        for instance in self.app.client.list_all('/instances', 'instances'):
            fields = instance_fields(instance)
            rows.append(tuple(fields[column] for column in LIST_COLUMNS))
        return LIST_COLUMNS, rows


class ShowInstance(lookup.OnInstance, show.ShowOne):
    """Show an instance."""

    def take_action(self, args):
        return as_columns(instance_fields(self.instance(args)))


class InstanceAction(lookup.OnInstance, command.Command):
    """A command that starts an operation on an instance and may wait
    for it (``--wait``)."""

    operation = None
    error_is_final = True

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        self.add_arguments(parser)
        waiting.add_arguments(parser)
        return parser

    def add_arguments(self, parser):
        """Arguments after INSTANCE."""

    def start(self, client, instance, args):
        """Send the request; return ``done(instance)`` for ``--wait``."""
        raise NotImplementedError

    def take_action(self, args):
        client = self.app.client
        instance = self.instance(args)
        done = self.start(client, instance, args)
        if args.wait:
            waiting.Waiter(client, self.app.stderr, args.timeout).wait(
                instance, done, self.operation, self.error_is_final)
        else:
            self.app.stderr.write(f'Accepted {self.operation} of instance '
                                  f'{instance["name"]}.\n')


class DeleteInstance(InstanceAction):
    """Delete an instance and its data."""

    operation = 'the deletion'
    # Trove shows a failed instance as ERROR until it is gone.
    error_is_final = False

    def start(self, client, instance, args):
        client.delete(f'/instances/{api_client.quote(instance["id"])}')
        return lambda current: current is None


class RestartInstance(InstanceAction):
    """Restart the database service of an instance."""

    operation = 'the restart'

    def start(self, client, instance, args):
        client.post(action_path(instance), {'restart': {}})
        return waiting.is_ready


class ResizeInstanceFlavor(InstanceAction):
    """Give an instance another flavor (memory and CPUs)."""

    operation = 'the flavor resize'

    def add_arguments(self, parser):
        parser.add_argument('flavor', metavar='FLAVOR',
                            help='Name or ID of the new flavor.')

    def start(self, client, instance, args):
        new_id = lookup.flavor_id(lookup.find_flavor(client, args.flavor))
        client.post(action_path(instance),
                    {'resize': {'flavorRef': new_id}})
        return lambda current: waiting.is_ready(current) and \
            current['flavor']['id'] == new_id


class ResizeInstanceVolume(InstanceAction):
    """Grow the data volume of an instance."""

    operation = 'the volume resize'

    def add_arguments(self, parser):
        parser.add_argument('size', metavar='GB', type=positive_int,
                            help='New size of the volume in GB (larger '
                                 'than the current size).')

    def start(self, client, instance, args):
        client.post(action_path(instance),
                    {'resize': {'volume': {'size': args.size}}})
        return lambda current: waiting.is_ready(current) and \
            (current.get('volume') or {}).get('size') == args.size


class ResetInstanceStatus(lookup.OnInstance, command.Command):
    """Reset the status of an instance stuck in an operation.

    Clears the instance's task and marks its service status unknown
    (admin only by default).
    """

    def take_action(self, args):
        instance = self.instance(args)
        self.app.client.post(action_path(instance), {'reset_status': {}})
        self.app.stderr.write(
            f'Instance {instance["name"]}: status reset.\n')


class ConnectInstance(lookup.OnInstance, command.Command):
    """Print the mariadb command line that connects to an instance.

    Without --user, prints one line per user of the instance. The
    password is never printed: mariadb asks for it (-p).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--user', metavar='NAME',
                            help='Database user to connect as.')
        parser.add_argument('--database', metavar='NAME',
                            help="Database to open (default: the user's "
                                 'first database).')
        return parser

    def take_action(self, args):
        client = self.app.client
        instance = self.instance(args)
        if not instance.get('ip'):
            raise api_client.APIError(
                f'Instance {instance["name"]} has no address yet (status '
                f'{waiting.status_label(instance)}).')
        address = instance['ip'][0]
        if args.user:
            accounts = [(args.user, args.database)]
        else:
            accounts = self._accounts(client, instance, args.database)
        for user, database in accounts:
            self.app.stdout.write(
                command_line(address, user, database) + '\n')

    def _accounts(self, client, instance, database):
        try:
            users = list(client.list_all(
                f'/instances/{api_client.quote(instance["id"])}/users',
                'users'))
        except api_client.APIError as error:
            raise api_client.APIError(
                f'Cannot list the users of instance {instance["name"]} '
                f'({error}); pass --user.') from None
        if not users:
            raise api_client.APIError(
                f'Instance {instance["name"]} has no users; create one '
                f'with "trove-lite user create" or pass --user.')
        return [(user['name'], database or next(
            (db['name'] for db in user.get('databases') or []), None))
            for user in users]


def command_line(address, user, database=None):
    """``mariadb -h ADDRESS -P 3306 -u USER -p [DATABASE]``, shell
    quoted."""
    words = [CLIENT_PROGRAM, '-h', address, '-P', str(DATASTORE_PORT),
             '-u', user, '-p']
    if database:
        words.append(database)
    return shlex.join(words)
