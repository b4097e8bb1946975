"""trove-lite-conductor: applies what guests report."""

import sys

from trove_lite.common import rpc
from trove_lite.common import service
from trove_lite.conductor import manager
from trove_lite.conf import CONF
from trove_lite.instance import keys


def main():
    service.prepare_service(sys.argv)
    service.run_workers(
        CONF.trove_conductor_workers,
        lambda: service.RPCService(
            topic=CONF.conductor_queue, endpoints=[manager.Manager()],
            binary='trove-lite-conductor',
            serializer=rpc.GuestReportSerializer(keys.key_of)))


if __name__ == '__main__':
    main()
