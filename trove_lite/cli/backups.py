"""``trove-lite backup ...``: create, list, show and delete backups, and
follow one with ``--wait`` until it is COMPLETED (or deleted)."""

import time

from cliff import command
from cliff import lister
from cliff import show

from trove_lite.cli import client as api_client
from trove_lite.cli import lookup
from trove_lite.cli import waiting

LIST_COLUMNS = ('id', 'name', 'instance_id', 'status', 'size', 'parent_id',
                'datastore', 'datastore_version', 'created')
# The statuses a backup ends in (Trove's).
FINAL = frozenset({'COMPLETED', 'FAILED', 'DELETE_FAILED'})


def backup_fields(backup):
    """A backup's JSON as the flat fields the commands print."""
    datastore = backup.get('datastore') or {}
    fields = {
        'id': backup['id'],
        'name': backup['name'],
        'description': backup.get('description'),
        'instance_id': backup.get('instance_id'),
        'status': backup['status'],
        'size': backup.get('size'),
        'parent_id': backup.get('parent_id'),
        'datastore': datastore.get('type'),
        'datastore_version': datastore.get('version'),
        'locationRef': backup.get('locationRef'),
        'created': backup.get('created'),
        'updated': backup.get('updated'),
    }
    if backup.get('fault'):
        fields['fault'] = backup['fault']
    return fields


def as_columns(fields):
    return tuple(fields), tuple(fields.values())


def backup_path(backup_id):
    return f'/backups/{api_client.quote(backup_id)}'


def find_backup(client, ref):
    """The backup with id or unique name ``ref``."""
    try:
        return client.get(backup_path(ref))['backup']
    except api_client.APIError as error:
        if error.status_code != 404:
            raise
    matches = [backup for backup in client.list_all('/backups', 'backups')
               if backup['name'] == ref]
    if not matches:
        raise api_client.APIError(
            f'No backup with a name or ID of {ref!r} exists.', 404)
    if len(matches) > 1:
        raise api_client.APIError(
            f'{len(matches)} backups are named {ref!r}; give the ID.')
    return matches[0]


class BackupWaiter:
    """Polls ``GET /backups/{id}`` until the backup is COMPLETED (or, with
    ``gone``, deleted), showing its status on ``stream``; fails with the
    backup's fault when it fails, and on timeout."""

    def __init__(self, client, stream, timeout=waiting.DEFAULT_TIMEOUT):
        self.client = client
        self.stream = stream
        self.timeout = timeout
        self.clock = time.monotonic
        self.sleep = time.sleep

    def wait(self, backup, gone=False):
        subject = f'Backup {backup["name"]}'
        progress = waiting.Progress(self.stream, subject)
        started = self.clock()
        while True:
            current = self._get(backup['id'])
            elapsed = self.clock() - started
            status = current['status'] if current else 'DELETED'
            if current is None if gone else status == 'COMPLETED':
                progress.finish(status, elapsed)
                return current
            progress.update(status, elapsed)
            if current is None:
                self._fail(progress, f'{subject} disappeared before it '
                                     f'completed.')
            if not gone and status in FINAL:
                self._fail(progress, f'{subject} is {status}: '
                           f'{current.get("fault") or "no fault recorded"}')
            if elapsed >= self.timeout:
                self._fail(progress, f'Timed out after {self.timeout:g}s '
                                     f'waiting for backup '
                                     f'{backup["name"]} (last status '
                                     f'{status}).')
            self.sleep(waiting.poll_interval(elapsed))

    def _get(self, backup_id):
        try:
            return self.client.get(backup_path(backup_id))['backup']
        except api_client.APIError as error:
            if error.status_code == 404:
                return None
            raise

    def _fail(self, progress, message):
        if progress.tty:
            self.stream.write('\n')
        raise waiting.WaitFailed(message)


class CreateBackup(show.ShowOne):
    """Back up an instance (full, or incremental from its last backup or
    from --parent)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', help='Name of the backup.')
        parser.add_argument('--instance', required=True,
                            help='Name or ID of the instance to back up.')
        parser.add_argument('--description',
                            help='Description of the backup.')
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument('--parent', metavar='BACKUP',
                          help='Name or ID of the backup this one '
                               'continues (an incremental backup).')
        kind.add_argument('--incremental', action='store_true',
                          help="Continue the instance's newest completed "
                               'backup.')
        parser.add_argument('--swift-container', metavar='CONTAINER',
                            help='Container to store the backup in '
                                 '(default: the configured one).')
        waiting.add_arguments(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        instance = lookup.find_instance(client, args.instance)
        body = {'name': args.name, 'instance': instance['id']}
        if args.description:
            body['description'] = args.description
        if args.parent:
            body['parent_id'] = find_backup(client, args.parent)['id']
        if args.incremental:
            body['incremental'] = 1
        if args.swift_container:
            body['swift_container'] = args.swift_container
        backup = client.post('/backups', {'backup': body})['backup']
        if args.wait:
            backup = BackupWaiter(client, self.app.stderr,
                                  args.timeout).wait(backup)
        return as_columns(backup_fields(backup))


class ListBackups(lister.Lister):
    """List the project's backups, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--instance',
                            help='Only the backups of this instance (name '
                                 'or ID).')
        parser.add_argument('--datastore',
                            help='Only the backups of this datastore (name '
                                 'or ID).')
        parser.add_argument('--all-projects', action='store_true',
                            help="Every project's backups (admin only).")
        return parser

    def take_action(self, args):
        client = self.app.client
        path = '/backups'
        params = {}
        if args.instance:
            instance = lookup.find_instance(client, args.instance)
            path = f'/instances/{api_client.quote(instance["id"])}/backups'
        if args.datastore:
            params['datastore'] = args.datastore
        if args.all_projects:
            params['all_projects'] = 'true'
        rows = []
        for backup in self._pages(client, path, params):
            fields = backup_fields(backup)
            rows.append(tuple(fields[column] for column in LIST_COLUMNS))
        return LIST_COLUMNS, rows

    @staticmethod
    def _pages(client, path, params):
        while True:
            page = client.get(path, params=params or None)
            yield from page['backups']
            marker = api_client.next_marker(page)
            if marker is None or not page['backups']:
                return
            params = dict(params, marker=marker)


class ShowBackup(show.ShowOne):
    """Show a backup."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup', metavar='BACKUP',
                            help='Name or ID of the backup.')
        return parser

    def take_action(self, args):
        return as_columns(backup_fields(find_backup(self.app.client,
                                                    args.backup)))


class DeleteBackup(command.Command):
    """Delete a backup and what it stored (refused while an incremental
    backup continues it)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup', metavar='BACKUP',
                            help='Name or ID of the backup.')
        waiting.add_arguments(parser)
        return parser

    def take_action(self, args):
        client = self.app.client
        backup = find_backup(client, args.backup)
        client.delete(backup_path(backup['id']))
        if args.wait:
            BackupWaiter(client, self.app.stderr, args.timeout).wait(
                backup, gone=True)
