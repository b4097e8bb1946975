"""Where a new instance's server goes (a scheduler's one decision).

With a compute driver every taskmanager reaches (Nova), nowhere in
particular: any taskmanager takes the build from the shared
``taskmanager`` topic. With a host-local one (the local driver, qemu), on
the live taskmanager host with the most room, recorded as the instance's
``host``; its build and every later request go to that host's own queue
(``taskmanager.<host>``, as nova-compute's ``compute.<host>``).

Room is each host's ``capacity`` in the service registry (its
``[local_compute] max_servers``) less the instances placed on it. Two API
processes placing at the same moment may both pick the last free place;
the host's driver then refuses the server, and the build fails cleanly.
"""

import math
import random

from trove_lite.common import exceptions
from trove_lite.compute import base as compute_base
from trove_lite.conf import CONF
from trove_lite.db.repositories import claims
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import services


def routed_by_host():
    """Whether requests on an instance go to its host's taskmanager."""
    return compute_base.driver_class(CONF.compute_driver).host_local()


def pick_hosts(conn, count):
    """The hosts for ``count`` new instances' servers, each placed as if
    the ones before it were already there (replicas spread); None where
    any taskmanager will do (or none is known yet). NoValidHost when live
    taskmanager hosts are known and they lack room for all."""
    if not routed_by_host():
        return [None] * count
    now, rows = services.list_all(conn)
    live = [row for row in rows if row.binary == claims.TASKMANAGER and
            services.is_up(row, now, CONF.service_down_time)]
    load = instances.count_by_host(conn)

    def room(row):
        if row.capacity is None:
            return math.inf
        return row.capacity - load.get(row.host, 0)

    if not live:
        # No taskmanager has reported yet (a deployment starting): the
        # first to take the build from the shared topic places it on its
        # own host.
        return [None] * count
    hosts = []
    for _number in range(count):
        candidates = [row for row in live if room(row) > 0]
        if not candidates:
            raise exceptions.NoValidHost()
        # The most room, then the fewest instances; ties spread at random.
        best = min(candidates, key=lambda row: (-room(row),
                                                load.get(row.host, 0),
                                                random.random()))
        hosts.append(best.host)
        load[best.host] = load.get(best.host, 0) + 1
    return hosts
