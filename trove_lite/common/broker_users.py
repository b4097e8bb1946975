"""One broker user per instance (``guest_broker_credentials =
per_instance``), made when the instance is built and removed when it is
deleted, through RabbitMQ's management HTTP API; the guest's exchange and
its bindings over AMQP (common.amqp_broker: a few frames on a connection
the taskmanager keeps, where each HTTP request costs the broker an
authentication and a JSON document).

The HTTP API rather than ``rabbitmqctl``: the taskmanager may run on any
host, and the API answers over the network with the control plane's own
broker credentials, while ``rabbitmqctl`` needs the broker host's Erlang
cookie (root there) and a subprocess per change; the API also says
exactly what failed (a status code) where ``rabbitmqctl`` gives text.

Each guest also has an exchange of its own, ``<control_exchange>-guest-
<id>``, which is the ``control_exchange`` of its config: oslo.messaging
declares the exchange it publishes to and consumes from, and declaring
needs the "configure" permission, which also allows deleting. On the
shared control exchange that would let any guest delete it (and with it
every binding of the control plane). The control plane makes the guest's
exchange and binds it to the control exchange both ways, each way for
one routing key only:

- control exchange -> guest exchange for ``guestagent.<id>`` (and its
  server topic): what the API and taskmanager cast to the guest, still on
  the control exchange as in Trove, reaches the guest's queues;
- guest exchange -> control exchange for the conductor topic: the
  guest's reports reach the conductor, nothing else it publishes leaves
  its exchange.

The user of instance ``<id>`` may

- declare, bind, delete and consume only its own exchange and queues
  (``guestagent.<id>``, its server and fanout queues); nothing of the
  control exchange (it cannot bind a queue to it, delete it or use it as
  a dead-letter exchange);
- publish to its own exchange only with the conductor topic as the
  routing key (a topic permission);
- publish to the default exchange, which is how a guest answers a call
  (oslo.messaging sends answers there). That exchange routes to any queue
  by name, so whatever arrives that way must be authenticated by its
  receiver: guest, conductor and taskmanager messages are sealed
  envelopes (common.sealing).
"""

import logging
import re
import secrets
import urllib.parse

import oslo_messaging as messaging
import requests

from trove_lite.common import rpc
from trove_lite.common import topics
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

TIMEOUT = 10


class BrokerUserError(Exception):
    """The management API refused or could not be reached."""


def per_instance():
    return CONF.guest_broker_credentials == 'per_instance'


def username(instance_id):
    return f'trove-guest-{instance_id}'


def guest_exchange(instance_id):
    """The control exchange of the guest of ``instance_id``: its own, or
    the shared one in the shared mode."""
    if not per_instance():
        return CONF.control_exchange
    return f'{CONF.control_exchange}-guest-{instance_id}'


def permissions(instance_id):
    """``(permissions, topic permissions)`` of the instance's user, as
    the management API takes them."""
    topic = re.escape(topics.guest_topic(instance_id))
    exchange = re.escape(guest_exchange(instance_id))
    # The topic queue, its server queue, the fanout exchange and queue.
    own = rf'{topic}(\.{re.escape(instance_id)}|_fanout(_[0-9a-f]+)?)?'
    return ({'configure': rf'^({own}|{exchange})$',
             'write': rf'^({own}|{exchange}|amq\.default)$',
             'read': rf'^({own}|{exchange})$'},
            {'exchange': guest_exchange(instance_id),
             'write': rf'^{re.escape(CONF.conductor_queue)}$',
             'read': rf'^{topic}(\.{re.escape(instance_id)})?$'})


def guest_transport_url(instance_id, shared_url):
    """The transport URL for the guest of a new instance: ``shared_url``
    with a new user of its own (made now), or ``shared_url`` itself in the
    shared mode."""
    if not per_instance():
        LOG.warning('Instance %s gets the shared broker credentials '
                    '(guest_broker_credentials = shared): its guest can '
                    'cast to the taskmanager and read other guests\' '
                    'queues', instance_id)
        return shared_url
    url = messaging.TransportURL.parse(CONF, shared_url)
    name, password = username(instance_id), secrets.token_urlsafe(32)
    vhost = url.virtual_host or '/'
    perms, topic_perms = permissions(instance_id)
    management = _Management()
    management.request('PUT', f'users/{_quote(name)}',
                       {'password': password, 'tags': ''})
    management.request('PUT', f'permissions/{_quote(vhost)}/{_quote(name)}',
                       perms)
    management.request('PUT',
                       f'topic-permissions/{_quote(vhost)}/{_quote(name)}',
                       topic_perms)
    _link_guest_exchange(instance_id)
    LOG.info('Broker user %s made for instance %s', name, instance_id)
    return str(messaging.TransportURL(
        CONF, transport=url.transport, virtual_host=url.virtual_host,
        query=url.query, hosts=[
            messaging.TransportHost(hostname=host.hostname, port=host.port,
                                    username=name, password=password)
            for host in url.hosts]))


def _link_guest_exchange(instance_id):
    """Make the guest's exchange and its two one-key bindings with the
    control exchange (see the module's doc), over AMQP on the process's
    declarations connection (common.rpc.declarations)."""
    control, own = CONF.control_exchange, guest_exchange(instance_id)
    topic = topics.guest_topic(instance_id)
    rpc.declarations().link_exchanges(
        (control, own),
        ((control, own, topic), (control, own, f'{topic}.{instance_id}'),
         (own, control, CONF.conductor_queue)))


def remove(instance_id):
    """Remove the instance's broker user (closing its connections) and
    its exchange (with the exchange's bindings); what is already gone is
    not an error."""
    if not per_instance():
        return
    name = username(instance_id)
    management = _Management()
    management.request('DELETE', f'users/{_quote(name)}', missing_ok=True)
    rpc.declarations().delete_exchanges((guest_exchange(instance_id),))
    try:
        management.request('DELETE',
                           f'connections/username/{_quote(name)}',
                           missing_ok=True)
    except BrokerUserError as error:
        # The user is gone; a connection it still has dies with its
        # guest.
        LOG.warning('Connections of %s not closed: %s', name, error)
    LOG.info('Broker user %s removed', name)


def exists(instance_id):
    return _Management().request(
        'GET', f'users/{_quote(username(instance_id))}',
        missing_ok=True) is not None


def _quote(segment):
    return urllib.parse.quote(segment, safe='')


class _Management:
    """The management API, logged in as the user of ``transport_url``."""

    def __init__(self):
        host = messaging.TransportURL.parse(CONF, CONF.transport_url).hosts
        self._auth = (host[0].username, host[0].password) if host else None
        self._base = CONF.broker_management_url.rstrip('/') + '/api/'

    def request(self, method, path, body=None, missing_ok=False):
        try:
            answer = requests.request(method, self._base + path, json=body,
                                      auth=self._auth, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise BrokerUserError(
                f'{method} {path}: the management API is unreachable '
                f'({type(error).__name__})') from None
        if answer.status_code == 404 and missing_ok:
            return None
        if answer.status_code >= 300:
            raise BrokerUserError(f'{method} {path}: {answer.status_code}')
        return answer.json() if answer.content else {}
