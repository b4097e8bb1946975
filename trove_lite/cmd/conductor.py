"""trove-lite-conductor: applies what guests report."""

import sys

from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.conductor import manager
from trove_lite.conf import CONF
from trove_lite.db import service_registry
from trove_lite.db.repositories import sealed_message_ids
from trove_lite.instance import keys


def main():
    service.prepare_service(sys.argv)

    def make_service():
        endpoints, serializer = sealing.conductor_server_parts(
            manager.Manager(), keys.find_key,
            sealed_message_ids.DatabaseSeenIds())
        return service.RPCService(
            topic=CONF.conductor_queue, endpoints=endpoints,
            serializer=serializer,
            # A heartbeat waits for its batch to be written (see
            # conductor.batching); its message is acknowledged after.
            ack_after_dispatch=True,
            registration=service_registry.Registration(
                'trove-lite-conductor', CONF.conductor_queue))

    service.run_workers(CONF.trove_conductor_workers, make_service)


if __name__ == '__main__':
    main()
