"""trove-lite-guestagent: the agent inside an instance.

It loads nothing of the oslo messaging stack (guestagent.amqp_rpc says
why): its config is parsed by oslo.config, it logs through the standard
library in oslo.log's format, and it speaks oslo.messaging's wire format
through its own transport.
"""

import logging
import os
import signal
import sys
import threading

import setproctitle
from oslo_config import cfg

from trove_lite.common import sealing
from trove_lite.common import topics
from trove_lite.conf import CONF
from trove_lite.conf import default as conf_default
from trove_lite.guestagent import amqp_rpc
from trove_lite.guestagent import seen_ids
from trove_lite.guestagent.datastore import registry
from trove_lite.rpcapi import conductor as conductor_rpcapi

LOG = logging.getLogger(__name__)

PROCESS_NAME = 'trove-lite-guestagent'

SEEN_IDS_FILE = 'seen-message-ids.json'

# oslo.log's default format, so an agent's log reads like the services'.
LOG_FORMAT = ('%(asctime)s.%(msecs)03d %(process)d %(levelname)s '
              '%(name)s [-] %(message)s')
LOG_DATE_FORMAT = '%Y-%m-%d %H:%M:%S'

# oslo.log's option the agent reads, as oslo.log declares it.
_DEBUG_OPT = cfg.BoolOpt('debug', short='d', default=False, mutable=True,
                         help='Log at DEBUG rather than INFO.')


def prepare(argv):
    """Parse the agent's config and set up its log (stderr: the guest's
    log file, or the VM's journal)."""
    amqp_rpc.register_opts(CONF)
    if 'debug' not in CONF:
        CONF.register_cli_opt(_DEBUG_OPT)
    # Where a guest's config is silent, what the services take.
    CONF.set_default('control_exchange', conf_default.CONTROL_EXCHANGE)
    CONF.set_default('amqp_durable_queues', conf_default.DURABLE_QUEUES,
                     group='oslo_messaging_rabbit')
    CONF(argv[1:], project='trove-lite')
    logging.basicConfig(stream=sys.stderr, format=LOG_FORMAT,
                        datefmt=LOG_DATE_FORMAT,
                        level=logging.DEBUG if CONF.debug else logging.INFO)
    if not CONF.debug:
        logging.getLogger('amqp').setLevel(logging.WARNING)


def _report_until(stopped, interval, report):
    """The periodic status report, every ``interval`` seconds."""
    while not stopped.wait(interval):
        try:
            report()
        except Exception:
            LOG.exception('Status report failed')


def main():
    prepare(sys.argv)
    if not CONF.guest_id:
        sys.exit('guest_id is not set: this agent serves no instance')
    # What ps shows (a forked agent would show its launcher): an operator
    # finds and signals the guest of one instance by its id.
    setproctitle.setproctitle(f'{PROCESS_NAME} {CONF.guest_id}')
    transport = amqp_rpc.Transport(CONF)
    manager_class = registry.manager_class(CONF.datastore_manager)
    manager = manager_class(CONF.guest_id, CONF.guest_agent.sandbox_path,
                            conductor_rpcapi.API(transport))
    manager.boot()
    # Only messages sealed with this instance's key are obeyed. Prepare
    # waits in the queue while the guest boots, however long that takes.
    # The ids of the messages it obeyed are kept in its sandbox, so a
    # restart does not make a captured message acceptable again.
    (endpoint,), serializer = sealing.guest_server_parts(
        manager, CONF.instance_rpc_encr_key, CONF.guest_id,
        seen_ids.FileSeenIds(os.path.join(CONF.guest_agent.sandbox_path,
                                          SEEN_IDS_FILE)),
        ageless_methods=('prepare', 'make_read_only'))
    server = amqp_rpc.Server(
        transport, topics.guest_topic(CONF.guest_id), CONF.guest_id,
        endpoint, serializer, version=manager.RPC_API_VERSION,
        pool_size=CONF.executor_thread_pool_size)
    signal.signal(signal.SIGTERM, server.stop)
    signal.signal(signal.SIGINT, server.stop)
    stopped = threading.Event()
    reports = threading.Thread(
        target=_report_until, name='status-reports', daemon=True,
        args=(stopped, CONF.report_interval, manager.report_status))
    server.run(on_serving=reports.start)
    LOG.info('Stopping')
    stopped.set()
    manager.shutdown()
    transport.close()


if __name__ == '__main__':
    main()
