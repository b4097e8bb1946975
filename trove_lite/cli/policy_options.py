"""The backup policy options of ``instance create`` and ``instance set``,
and the policy fields ``instance show`` prints."""

from trove_lite.cli import client as api_client


def _positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def add_arguments(parser):
    parser.add_argument('--backup-retention-days', type=_positive,
                        metavar='DAYS',
                        help='Keep automated backups and the archived '
                             'binary log this many days (a backup policy; '
                             'with --backup-window).')
    parser.add_argument('--backup-window', metavar='HH:MM-HH:MM',
                        help='Daily window (UTC) of the automated backup.')


def body(args):
    """The ``backup_policy`` the arguments ask for, or None."""
    if args.backup_retention_days is None and args.backup_window is None:
        return None
    if args.backup_retention_days is None or args.backup_window is None:
        raise api_client.APIError('A backup policy needs both '
                                  '--backup-retention-days and '
                                  '--backup-window.')
    return {'retention_days': args.backup_retention_days,
            'window': args.backup_window}


def fields(instance):
    """The policy and restorable window of an instance's JSON, flat."""
    fields = {}
    policy = instance.get('backup_policy')
    if policy:
        fields['backup_retention_days'] = policy['retention_days']
        fields['backup_window'] = policy['window']
        window = instance.get('restorable') or {}
        fields['restorable_earliest'] = window.get('earliest') or ''
        fields['restorable_latest'] = window.get('latest') or ''
    return fields
