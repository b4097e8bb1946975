"""Client side of the taskmanager."""

import oslo_messaging as messaging

from trove_lite.common import rpc
from trove_lite.conf import CONF


class API:
    """Casts to the taskmanager (topic ``taskmanager_queue``), sealed with
    the control-plane key (common.sealing). With ``host`` (an instance's,
    instance.placement), to that host's taskmanager only: its queue
    ``<taskmanager_queue>.<host>``, as nova-compute's ``compute.<host>``;
    without, to whichever taskmanager takes it first."""

    RPC_API_VERSION = '1.0'

    def __init__(self, host=None):
        target = messaging.Target(topic=CONF.taskmanager_queue,
                                  server=host,
                                  version=self.RPC_API_VERSION)
        self._client = rpc.control_plane_client(target)

    def _cast(self, context, method, fanout=False, mandatory=False,
              **kwargs):
        # Bounded retries: an API request must not hang while the broker
        # is away; it fails with 503 instead.
        options = {'fanout': fanout, 'retry': CONF.rpc_cast_retry}
        if mandatory:
            options['transport_options'] = messaging.TransportOptions(
                at_least_once=True)
        self._client.prepare(**options).cast(context, method, **kwargs)

    def create_instance(self, context, spec):
        """Build an instance from an InstanceSpec. Mandatory: where no
        taskmanager queue takes it (no taskmanager has started yet), the
        broker returns it and the create fails at once (503) rather than
        the request being dropped and the build failed later as lost."""
        self._cast(context, 'create_instance', mandatory=True, spec=spec)

    def delete_instance(self, context, instance_id):
        self._cast(context, 'delete_instance', instance_id=instance_id)

    def detach_replica(self, context, instance_id):
        """Make a replica standalone (task DETACHING is set)."""
        self._cast(context, 'detach_replica', instance_id=instance_id)

    def promote_to_replica_source(self, context, instance_id):
        """Make a replica the source of its set (task PROMOTING on every
        member)."""
        self._cast(context, 'promote_to_replica_source',
                   instance_id=instance_id)

    def eject_replica_source(self, context, instance_id):
        """Replace the failed source of a replica's set by its most
        advanced replica (task EJECTING on every replica)."""
        self._cast(context, 'eject_replica_source', instance_id=instance_id)

    def restart(self, context, instance_id):
        """Restart the instance's datastore (task REBOOTING is set)."""
        self._cast(context, 'restart', instance_id=instance_id)

    def resize_flavor(self, context, instance_id, old_flavor, new_flavor):
        """Move the instance to another flavor (task RESIZING is set);
        flavors are dicts with ``id``, ``name``, ``ram``, ``vcpus``,
        ``disk``."""
        self._cast(context, 'resize_flavor', instance_id=instance_id,
                   old_flavor=old_flavor, new_flavor=new_flavor)

    def resize_volume(self, context, instance_id, new_size):
        """Grow the instance's volume to ``new_size`` GB (task RESIZING is
        set)."""
        self._cast(context, 'resize_volume', new_size=new_size,
                   instance_id=instance_id)

    def update_overrides(self, context, instance_id, configuration_id,
                         changed):
        """Bring the instance's guest to the current values of its
        configuration group, whose ``changed`` names changed (Trove's
        ``update_overrides``)."""
        self._cast(context, 'update_overrides', instance_id=instance_id,
                   configuration_id=configuration_id, changed=changed)

    def update_access(self, context, instance_id, access):
        """Apply the instance's new ``access`` (``is_public``,
        ``allowed_cidrs``) to its server (task UPDATING is set)."""
        self._cast(context, 'update_access', instance_id=instance_id,
                   access=access)

    def guest_status_changed(self, context, instance_id, status):
        """Tell every taskmanager that a guest's status changed (fanout:
        whichever one is waiting on that instance wakes up)."""
        self._cast(context, 'guest_status_changed', fanout=True,
                   instance_id=instance_id, status=status)

    def create_backup(self, context, backup_id, container):
        """Send a NEW backup to its instance's guest, to be stored in
        ``container``."""
        self._cast(context, 'create_backup', backup_id=backup_id,
                   container=container)

    def delete_backup(self, context, backup_id):
        """Remove the stored object of a deleted backup."""
        self._cast(context, 'delete_backup', backup_id=backup_id)
