"""The replica options of ``trove-lite instance create`` and the replica
fields ``instance show`` prints."""

import argparse

from trove_lite.cli import lookup


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError('must be at least 1')
    return value


def add_arguments(parser):
    parser.add_argument('--replica-of', metavar='SOURCE',
                        help='Name or ID of the instance the new one is a '
                             'read replica of (its datastore, data and '
                             'users come from it).')
    parser.add_argument('--replica-count', type=_positive_int,
                        metavar='N',
                        help='How many replicas to make (default 1).')


def body(client, args):
    """The replica keys of a create body."""
    keys = {}
    if args.replica_of:
        keys['replica_of'] = lookup.find_instance(client,
                                                  args.replica_of)['id']
    if args.replica_count is not None:
        keys['replica_count'] = args.replica_count
    return keys


def fields(instance):
    """The replica fields of an instance's show view."""
    found = {}
    if instance.get('replica_of'):
        found['replica_of'] = instance['replica_of']['id']
        found['replication_lag'] = instance.get('replication_lag')
    if instance.get('replicas'):
        found['replicas'] = ', '.join(r['id'] for r in instance['replicas'])
    return found
