"""trove-lite-guestagent: the agent inside an instance."""

import os
import sys

import setproctitle
from oslo_log import log as logging

from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.conf import CONF
from trove_lite.guestagent import seen_ids
from trove_lite.guestagent.datastore import registry
from trove_lite.rpcapi import guestagent as guest_rpcapi

LOG = logging.getLogger(__name__)

PROCESS_NAME = 'trove-lite-guestagent'

SEEN_IDS_FILE = 'seen-message-ids.json'


def main():
    service.prepare_service(sys.argv)
    if not CONF.guest_id:
        sys.exit('guest_id is not set: this agent serves no instance')
    # What ps shows (a forked agent would show its launcher): an operator
    # finds and signals the guest of one instance by its id.
    setproctitle.setproctitle(f'{PROCESS_NAME} {CONF.guest_id}')
    manager_class = registry.manager_class(CONF.datastore_manager)
    manager = manager_class(CONF.guest_id, CONF.guest_agent.sandbox_path)
    manager.boot()
    # Only messages sealed with this instance's key are obeyed. Prepare
    # waits in the queue while the guest boots, however long that takes.
    # The ids of the messages it obeyed are kept in its sandbox, so a
    # restart does not make a captured message acceptable again.
    endpoints, serializer = sealing.guest_server_parts(
        manager, CONF.instance_rpc_encr_key, CONF.guest_id,
        seen_ids.FileSeenIds(os.path.join(CONF.guest_agent.sandbox_path,
                                          SEEN_IDS_FILE)),
        ageless_methods=('prepare', 'make_read_only'))
    service.RPCService(
        topic=guest_rpcapi.guest_topic(CONF.guest_id),
        server=CONF.guest_id, endpoints=endpoints,
        periodic_tasks=[(CONF.report_interval, manager.report_status)],
        on_stop=manager.shutdown, serializer=serializer).run()


if __name__ == '__main__':
    main()
