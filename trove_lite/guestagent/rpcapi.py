"""Client side of a guest agent (topic ``guestagent.<instance_id>``)."""

import oslo_messaging as messaging

from trove_lite.common import exceptions
from trove_lite.common import rpc


def guest_topic(instance_id):
    return f'guestagent.{instance_id}'


class API:
    """Talks to the guest agent of one instance."""

    RPC_API_VERSION = '1.0'

    def __init__(self, instance_id):
        self.instance_id = instance_id
        target = messaging.Target(topic=guest_topic(instance_id),
                                  server=instance_id,
                                  version=self.RPC_API_VERSION)
        self._client = rpc.get_client(target)

    def declare_queue(self):
        """Create the guest's queues so ``prepare`` waits for the guest."""
        rpc.declare_topic_queue(guest_topic(self.instance_id),
                                self.instance_id)

    def delete_queue(self):
        rpc.delete_topic_queues(guest_topic(self.instance_id),
                                self.instance_id)

    def _call(self, context, method, timeout, **kwargs):
        try:
            return self._client.prepare(timeout=timeout).call(
                context, method, **kwargs)
        except messaging.MessagingTimeout:
            raise exceptions.GuestTimeout() from None
        except messaging.RemoteError as error:
            raise exceptions.GuestError(original_message=error.value) \
                from None

    def prepare(self, context, request):
        """Set up the datastore (cast: progress comes back as heartbeats)."""
        self._client.prepare().cast(context, 'prepare', request=request)
