"""trove-lite-conductor: applies what guests report."""

import sys

from trove_lite.common import service
from trove_lite.conductor import manager
from trove_lite.conf import CONF


def main():
    service.prepare_service(sys.argv)
    service.RPCService(topic=CONF.conductor_queue,
                       endpoints=[manager.Manager()]).run()


if __name__ == '__main__':
    main()
