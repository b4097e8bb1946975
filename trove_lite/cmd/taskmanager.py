"""trove-lite-taskmanager: builds, deletes and repairs instances."""

import sys

from trove_lite.common import service
from trove_lite.common import service_registry
from trove_lite.conf import CONF
from trove_lite.taskmanager import manager


def main():
    service.prepare_service(sys.argv)
    taskmanager = manager.Manager()
    housekeeper = taskmanager.housekeeper
    service.RPCService(topic=CONF.taskmanager_queue,
                       endpoints=[taskmanager],
                       registration=service_registry.Registration(
                           'trove-lite-taskmanager', CONF.taskmanager_queue),
                       periodic_tasks=housekeeper.periodic_tasks(),
                       on_start=housekeeper.start_reconcile).run()


if __name__ == '__main__':
    main()
