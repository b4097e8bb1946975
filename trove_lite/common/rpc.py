"""oslo.messaging plumbing: one transport per process, context serializer,
client and server factories, notifier."""

import base64
import binascii
import json
import logging
import os

import oslo_messaging as messaging
from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives.ciphers import aead
from oslo_messaging import opts as messaging_opts

from trove_lite.common import context as trove_context
from trove_lite.common import objects
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

_TRANSPORT = None
_NOTIFICATION_TRANSPORT = None
_NOTIFIER = None


def set_defaults():
    """Library defaults trove-lite relies on; call before reading config."""
    messaging.set_transport_defaults(control_exchange='trove')
    # Register the driver options now so their defaults can be changed
    # before the first transport is built.
    for group, opts in messaging_opts.list_opts():
        CONF.register_opts(opts, group=group)
    # Durable queues keep a create or prepare message across a broker
    # restart.
    CONF.set_default('amqp_durable_queues', True,
                     group='oslo_messaging_rabbit')


class RequestContextSerializer(messaging.Serializer):
    """Carries RequestContext and RemoteObjects across the wire."""

    def serialize_entity(self, ctxt, entity):
        return _to_primitive(entity)

    def deserialize_entity(self, ctxt, entity):
        return _from_primitive(entity)

    def serialize_context(self, ctxt):
        return ctxt.to_dict()

    def deserialize_context(self, ctxt):
        return trove_context.RequestContext.from_dict(ctxt)


class BrokenSeal(Exception):
    """A message that should be sealed with an instance's key is not, or
    was sealed with another key."""


class _Seal:
    """Authenticated encryption (AES-256-GCM, a random nonce each time) of
    JSON values with one key (32 bytes, URL-safe base64)."""

    NONCE_BYTES = 12

    def __init__(self, key):
        self._cipher = aead.AESGCM(base64.urlsafe_b64decode(key))

    def close(self, value):
        nonce = os.urandom(self.NONCE_BYTES)
        sealed = self._cipher.encrypt(nonce, json.dumps(value).encode(),
                                      None)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token):
        try:
            raw = base64.urlsafe_b64decode(token)
            return json.loads(self._cipher.decrypt(
                raw[:self.NONCE_BYTES], raw[self.NONCE_BYTES:], None))
        except (crypto_exceptions.InvalidTag, binascii.Error, TypeError,
                ValueError):
            raise BrokenSeal() from None


class SealedSerializer(RequestContextSerializer):
    """The messages between the control plane and one guest: context,
    arguments and results sealed with the instance's key, so another
    guest on the same broker can neither read them nor forge them. The
    context also names the instance in the clear, so the conductor knows
    which key opens it. Without a key, messages go in the clear."""

    def __init__(self, key, instance_id):
        self._seal = _Seal(key) if key else None
        self._instance_id = instance_id

    def serialize_entity(self, ctxt, entity):
        primitive = _to_primitive(entity)
        return primitive if self._seal is None else self._seal.close(
            primitive)

    def deserialize_entity(self, ctxt, entity):
        if self._seal is not None:
            entity = self._seal.open(entity)
        return _from_primitive(entity)

    def serialize_context(self, ctxt):
        values = ctxt.to_dict()
        if self._seal is None:
            return values
        # Unset fields are left out: less to seal, and from_dict reads
        # them back as unset.
        return {'instance_id': self._instance_id,
                'sealed': self._seal.close({
                    name: value for name, value in values.items()
                    if value is not None})}

    def deserialize_context(self, ctxt):
        if self._seal is not None:
            ctxt = self._seal.open(ctxt.get('sealed'))
        return trove_context.RequestContext.from_dict(ctxt)


class GuestReportSerializer(RequestContextSerializer):
    """The conductor's side: opens each guest's message with the key of
    the instance its context names (``key_of(instance_id)``) and records
    that instance as ``context.sealed_by``. A message that does not open
    keeps ``sealed_by`` None and its arguments sealed; the conductor then
    drops it (see conductor.manager)."""

    def __init__(self, key_of):
        self._key_of = key_of
        self._seals = {}  # key -> _Seal: keys never change

    def deserialize_context(self, ctxt):
        token, instance_id = ctxt.get('sealed'), ctxt.get('instance_id')
        if token is None:
            return super().deserialize_context(ctxt)
        try:
            values = self._seal_of(instance_id).open(token)
        except BrokenSeal:
            LOG.warning('Message claiming to come from instance %s does '
                        'not open with its key', instance_id)
            context = trove_context.RequestContext(overwrite=False)
            context.broken_seal = True
            return context
        context = super().deserialize_context(values)
        context.sealed_by = instance_id
        return context

    def deserialize_entity(self, ctxt, entity):
        if ctxt.broken_seal:
            return None
        if ctxt.sealed_by is not None:
            entity = self._seal_of(ctxt.sealed_by).open(entity)
        return super().deserialize_entity(ctxt, entity)

    def _seal_of(self, instance_id):
        key = self._key_of(instance_id) if instance_id else None
        if key is None:
            raise BrokenSeal()
        seal = self._seals.get(key)
        if seal is None:
            seal = self._seals[key] = _Seal(key)
        return seal


def _to_primitive(entity):
    if isinstance(entity, objects.RemoteObject):
        return entity.to_primitive()
    if isinstance(entity, (list, tuple)):
        return [_to_primitive(item) for item in entity]
    if isinstance(entity, dict):
        return {key: _to_primitive(value) for key, value in entity.items()}
    return entity


def _from_primitive(entity):
    if objects.RemoteObject.is_primitive(entity):
        return objects.RemoteObject.from_primitive(entity)
    if isinstance(entity, list):
        return [_from_primitive(item) for item in entity]
    if isinstance(entity, dict):
        return {key: _from_primitive(value) for key, value in entity.items()}
    return entity


def get_transport():
    """The process's RPC transport (built on first use)."""
    global _TRANSPORT
    if _TRANSPORT is None:
        _TRANSPORT = messaging.get_rpc_transport(CONF)
    return _TRANSPORT


def get_notifier(publisher_id):
    global _NOTIFICATION_TRANSPORT, _NOTIFIER
    if _NOTIFIER is None:
        _NOTIFICATION_TRANSPORT = messaging.get_notification_transport(CONF)
        _NOTIFIER = messaging.Notifier(_NOTIFICATION_TRANSPORT,
                                       serializer=RequestContextSerializer())
    return _NOTIFIER.prepare(publisher_id=publisher_id)


def get_client(target, version_cap=None, serializer=None):
    return messaging.get_rpc_client(
        get_transport(), target, version_cap=version_cap,
        serializer=serializer or RequestContextSerializer())


def get_server(target, endpoints, serializer=None):
    """An RPC server; oslo.messaging runs it with its threading executor
    (it would pick eventlet only in a monkey-patched process, and nothing
    here monkey-patches)."""
    return messaging.get_rpc_server(
        get_transport(), target, endpoints,
        serializer=serializer or RequestContextSerializer())


def declare_topic_queue(topic, server):
    """Create a topic's queues so a cast waits there for its consumer.

    oslo.messaging declares queues only when a server starts, so a
    throw-away server is started and stopped on the topic; the queues it
    declared stay (they are not auto-deleted).
    """
    target = messaging.Target(topic=topic, server=server)
    declarer = messaging.get_rpc_server(get_transport(), target, [])
    declarer.start()
    declarer.stop()
    declarer.wait()


def cleanup():
    global _TRANSPORT, _NOTIFICATION_TRANSPORT, _NOTIFIER
    for transport in (_TRANSPORT, _NOTIFICATION_TRANSPORT):
        if transport is not None:
            transport.cleanup()
    _TRANSPORT = _NOTIFICATION_TRANSPORT = _NOTIFIER = None


def delete_topic_queues(topic, server):
    """Remove a topic's queues once nobody will ever consume them again
    (a deleted instance's guest topic), so the broker does not collect one
    dead queue per instance. Only the rabbit driver has queues to delete."""
    url = messaging.TransportURL.parse(CONF, CONF.transport_url)
    if url.transport.split('+')[0] != 'rabbit' or not url.hosts:
        return
    import kombu  # only the rabbit driver needs it, and it ships with it

    host = url.hosts[0]
    broker = kombu.Connection(hostname=host.hostname, port=host.port,
                              userid=host.username, password=host.password,
                              virtual_host=url.virtual_host or '/',
                              connect_timeout=5)
    with broker:
        channel = broker.channel()
        for queue in (topic, f'{topic}.{server}'):
            try:
                channel.queue_delete(queue)
            except Exception as error:  # already gone: nothing to do
                LOG.debug('Queue %s not deleted: %s', queue, error)
                channel = broker.channel()
