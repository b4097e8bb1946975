"""``trove-lite instance promote``, ``eject`` and ``detach-replica``: the
replication actions on a replica (``instance create --replica-of`` makes
replicas)."""

from trove_lite.cli import client as api_client
from trove_lite.cli import instances
from trove_lite.cli import waiting


class PromoteReplica(instances.InstanceAction):
    """Make a replica the replication source of its set (a planned
    switchover: no transaction is lost)."""

    operation = 'the promotion'

    def start(self, client, instance, args):
        client.post(instances.action_path(instance),
                    {'promote_to_replica_source': {}})
        return lambda current: waiting.is_ready(current) and \
            'replica_of' not in current


class EjectSource(instances.InstanceAction):
    """Replace the failed source of a replica's set by its most advanced
    replica (the source must have stopped responding)."""

    operation = 'the ejection'

    def start(self, client, instance, args):
        client.post(instances.action_path(instance),
                    {'eject_replica_source': {}})
        return waiting.is_ready


class DetachReplica(instances.InstanceAction):
    """Detach a replica from its source: it becomes a standalone, writable
    instance."""

    operation = 'the detach'

    def start(self, client, instance, args):
        client.patch(f'/instances/{api_client.quote(instance["id"])}',
                     {'instance': {'replica_of': ''}})
        return lambda current: waiting.is_ready(current) and \
            'replica_of' not in current
