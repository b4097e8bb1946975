"""Client side of the conductor: what guests send it, through the guest
agent's own transport (guestagent.amqp_rpc)."""

from trove_lite.common import sealing
from trove_lite.conf import CONF


class API:
    """Casts to the conductor (topic ``conductor_queue``) from this guest,
    sealed with its instance's key, through ``transport``
    (guestagent.amqp_rpc.Transport)."""

    RPC_API_VERSION = '1.0'

    def __init__(self, transport):
        self._transport = transport
        self._envelopes = sealing.Envelopes(CONF.instance_rpc_encr_key,
                                            CONF.guest_id)

    def _cast(self, context, method, **args):
        wire, _ = self._envelopes.seal(context, method, args, call=False)
        self._transport.cast(CONF.conductor_queue, wire, method,
                             self.RPC_API_VERSION)

    def heartbeat(self, context, instance_id, payload, sent):
        """Report the guest's status; ``sent`` (guest clock, epoch seconds
        with microseconds) lets the conductor drop stale reports."""
        self._cast(context, 'heartbeat', instance_id=instance_id,
                   payload=payload, sent=sent)

    def notify_end(self, context, instance_id, action, payload):
        """A guest-side action finished (emits ``.end``)."""
        self._cast(context, 'notify_end', instance_id=instance_id,
                   action=action, payload=payload)

    def notify_exc_info(self, context, instance_id, action, message,
                        exception):
        """A guest-side action failed (emits ``.error``)."""
        self._cast(context, 'notify_exc_info', instance_id=instance_id,
                   action=action, message=message, exception=exception)

    def update_backup(self, context, instance_id, backup_id, sent,
                      **backup_fields):
        """Report a backup's progress or end (``state`` BUILDING,
        COMPLETED with ``size`` in GB, ``checksum`` and ``lsn``, or FAILED
        with ``fault``)."""
        self._cast(context, 'update_backup', instance_id=instance_id,
                   backup_id=backup_id, sent=sent, **backup_fields)

    def update_binlog_archive(self, context, instance_id, since, until,
                              sent):
        """Report the span (epoch seconds) the instance's binlog archive
        restores to."""
        self._cast(context, 'update_binlog_archive', instance_id=instance_id,
                   since=since, until=until, sent=sent)
