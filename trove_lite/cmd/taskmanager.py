"""trove-lite-taskmanager: builds, deletes and repairs instances."""

import sys

from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.conf import CONF
from trove_lite.db import service_registry
from trove_lite.db.repositories import sealed_message_ids
from trove_lite.taskmanager import manager


def main():
    service.prepare_service(sys.argv)
    taskmanager = manager.Manager()
    housekeeper = taskmanager.housekeeper
    # Only the control plane's sealed requests are obeyed: a guest can
    # put a message into this queue through the default exchange.
    endpoints, serializer = sealing.control_plane_server_parts(
        taskmanager, sealed_message_ids.DatabaseSeenIds())
    service.RPCService(topic=CONF.taskmanager_queue,
                       endpoints=endpoints, serializer=serializer,
                       registration=service_registry.Registration(
                           'trove-lite-taskmanager', CONF.taskmanager_queue,
                           capacity=taskmanager.driver.capacity()),
                       periodic_tasks=housekeeper.periodic_tasks(),
                       on_start=housekeeper.start_reconcile).run()


if __name__ == '__main__':
    main()
