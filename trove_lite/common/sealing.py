"""Sealed envelopes: the messages between the control plane and a guest.

Guests share the broker, so every message to or from a guest is ONE
envelope -- method, arguments, context, instance, time and message id --
sealed with the instance's key (AES-256-GCM). On the wire there is only
the method name (for dispatch), the instance id (which key opens the
envelope) and the sealed envelope; the arguments travel only inside it.
The receiver obeys a message only when

- the envelope opens with the key of the instance it names,
- it was sealed for the method being dispatched (a captured envelope
  cannot be re-targeted to another method),
- its time is within ``sealed_message_skew`` of the receiver's clock, and
- its id was not accepted before (ids are remembered for as long as their
  time is acceptable, where a restart does not lose them -- see
  common.seen_ids -- so a captured envelope cannot be replayed); except
  for a report that carries its own ordering stamp (a heartbeat's
  ``sent``): the receiver applies it only when newer than the last one
  it applied, so a replay is dropped there and its id need not be kept.

The answer to a call is sealed the same way and bound to the call's id,
a failure included. A failure that is not sealed (the receiver's refusal,
or one forged by a broker peer) reaches the caller without its text.
An instance without a key (``encrypted_rpc_messaging`` off) uses the same
envelopes in the clear.
"""

import base64
import binascii
import hashlib
import json
import logging
import math
import os
import time
import uuid

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives.ciphers import aead

from trove_lite.common import context as trove_context
from trove_lite.common import lru
from trove_lite.common import objects
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

# The sender named in the envelopes between control-plane services.
CONTROL_PLANE = 'control-plane'


class _EveryMethod:
    """As ``ageless_methods``: every method."""

    def __contains__(self, method):
        return True


EVERY_METHOD = _EveryMethod()


class BrokenSeal(Exception):
    """A message that does not open with the key of the instance it names,
    or is stale, replayed, re-targeted or malformed."""


class SealedFailure(Exception):
    """A sealed answer saying the call failed: ``type`` and ``message``
    of the receiver's exception."""

    def __init__(self, exc_type, message):
        super().__init__(exc_type, message)
        self.exc_type = exc_type
        self.message = message


class Seal:
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
            raise BrokenSeal('does not open with its key') from None


class _Clear:
    """The envelopes of an instance without a key: in the clear."""

    def close(self, value):
        return value

    def open(self, token):
        if not isinstance(token, dict):
            raise BrokenSeal('sealed, but the instance has no key')
        return token


def is_stamp(value):
    """A sender's time stamp: a finite number (JSON also decodes NaN and
    Infinity, which no database column takes and no comparison orders)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def seal_with(key):
    return Seal(key) if key else _Clear()


class ReplayGuard:
    """Refuses envelopes whose time is outside the skew window and those
    whose id was accepted before from the same instance. The ids are kept
    in ``seen`` (common.seen_ids: where a restart does not lose them)
    while their time is acceptable, at most
    ``sealed_message_ids_per_instance`` per instance: past that the
    instance's messages are refused until ids expire (it only hurts
    itself)."""

    # Longer ids are not ours (ours are uuid4 hex).
    MAX_ID_LENGTH = 64

    def __init__(self, seen, ageless_methods=(), stamped_methods=()):
        self._seen = seen
        # Methods whose envelopes may wait in a queue for longer than the
        # window (and are idempotent): they are accepted for
        # ``sealed_message_max_queue_age`` seconds instead.
        self._ageless = ageless_methods
        # Methods whose handler drops a message not newer than the last
        # it applied (by the ``sent`` argument; see heartbeat): their
        # ids are not remembered when they carry that stamp.
        self._stamped = stamped_methods

    def _stamped_by_sender(self, envelope):
        args = envelope.get('args')
        return (envelope.get('method') in self._stamped and
                isinstance(args, dict) and is_stamp(args.get('sent')))

    def admit(self, envelope):
        now = time.time()
        sent_at, message_id = envelope.get('sent_at'), envelope.get('id')
        if (not isinstance(sent_at, (int, float))
                or not isinstance(message_id, str)
                or len(message_id) > self.MAX_ID_LENGTH):
            raise BrokenSeal('no time or no id')
        if envelope.get('method') in self._ageless:
            window = CONF.sealed_message_max_queue_age
            keep_until = sent_at + window
        else:
            window = CONF.sealed_message_skew
            keep_until = max(sent_at, now) + window
        if abs(now - sent_at) > window:
            raise BrokenSeal(f'sealed {now - sent_at:.0f} s ago')
        if self._stamped_by_sender(envelope):
            return
        refused = self._seen.remember(
            envelope['instance_id'], message_id, keep_until, now,
            CONF.sealed_message_ids_per_instance)
        if refused:
            raise BrokenSeal(refused)


class Envelopes:
    """Seals the envelopes of the messages to or from one instance and
    opens the answers to them."""

    def __init__(self, key, instance_id):
        self._seal = seal_with(key)
        self.instance_id = instance_id

    def seal(self, context, method, args, call):
        """The wire context of a message (its arguments are inside it)
        and the message's id."""
        message_id = uuid.uuid4().hex
        values = context.to_dict()
        envelope = {
            'method': method, 'args': objects.to_primitive(args),
            # Unset fields are left out: from_dict reads them back unset.
            'context': {name: value for name, value in values.items()
                        if value is not None},
            'instance_id': self.instance_id, 'sent_at': time.time(),
            'id': message_id, 'call': call}
        return ({'instance_id': self.instance_id,
                 'envelope': self._seal.close(envelope)}, message_id)

    def open_answer(self, answer, message_id):
        """The result of a call from its sealed answer; BrokenSeal when
        it is not sealed with the key or answers another message,
        SealedFailure when it is a sealed failure."""
        try:
            opened = self._seal.open(answer)
            if not isinstance(opened, dict) or \
                    opened.get('answers') != message_id:
                raise BrokenSeal('answers another message')
        except BrokenSeal as error:
            LOG.warning('Answer from instance %s refused: %s',
                        self.instance_id, error)
            raise
        if 'error' in opened:
            failure = opened['error']
            raise SealedFailure(failure.get('type'), failure.get('message'))
        return objects.from_primitive(opened.get('result'))


class EnvelopeSerializer:
    """An RPC server's serializer (oslo.messaging's interface, which the
    guest agent's own transport calls the same way) on the receiving
    side: opens each message's envelope with the key of the instance it
    names (``seal_of(instance_id)``, raising BrokenSeal when that
    instance has no business here) and checks its freshness. The context
    it returns carries the opened envelope (``envelope``, ``sealed_by``);
    one that did not open carries ``broken_seal`` and SealedEndpoint
    refuses it. Answers to calls are sealed here."""

    def __init__(self, seal_of, guard):
        self._seal_of = seal_of
        self._guard = guard

    def deserialize_context(self, ctxt):
        instance_id = ctxt.get('instance_id') if isinstance(ctxt, dict) \
            else None
        try:
            if not isinstance(instance_id, str):
                raise BrokenSeal('names no instance')
            envelope = self._seal_of(instance_id).open(ctxt.get('envelope'))
            if not isinstance(envelope, dict) or \
                    envelope.get('instance_id') != instance_id:
                raise BrokenSeal('sealed for another instance')
            self._guard.admit(envelope)
            context = trove_context.RequestContext.from_dict(
                envelope.get('context') or {})
        except (BrokenSeal, TypeError, ValueError) as error:
            LOG.warning('Message claiming to come from instance %s '
                        'refused: %s', str(instance_id)[:64], error)
            context = trove_context.RequestContext(overwrite=False)
            context.broken_seal = True
            return context
        context.envelope = envelope
        context.sealed_by = instance_id
        return context

    def serialize_context(self, ctxt):
        return ctxt

    def deserialize_entity(self, ctxt, entity):
        # The arguments are inside the envelope (SealedEndpoint).
        return entity

    def serialize_entity(self, ctxt, entity):
        if entity is None or ctxt.envelope is None:
            return None
        return self._seal_of(ctxt.sealed_by).close(
            dict(entity, answers=ctxt.envelope['id']))


class SealedEndpoint:
    """Wraps an endpoint: a dispatched method runs only with the envelope
    sealed for it, and with the arguments inside it."""

    def __init__(self, endpoint):
        self.target = getattr(endpoint, 'target', None)
        self._endpoint = endpoint

    def __getattr__(self, method):
        handler = getattr(self._endpoint, method)
        if method.startswith('_') or not callable(handler):
            raise AttributeError(method)

        def dispatch(context, **wire_args):
            return self._dispatch(handler, method, context, wire_args)
        return dispatch

    def _dispatch(self, handler, method, context, wire_args):
        envelope = context.envelope
        if envelope is None:
            raise BrokenSeal('not sealed with the key of its instance')
        if envelope.get('method') != method:
            LOG.warning('Message from instance %s refused: sealed for %s, '
                        'dispatched to %s', context.sealed_by,
                        str(envelope.get('method'))[:64], method)
            raise BrokenSeal('sealed for another method')
        args = objects.from_primitive(envelope.get('args'))
        if wire_args or not isinstance(args, dict):
            raise BrokenSeal('arguments outside the envelope')
        if not envelope.get('call'):
            handler(context, **args)
            return None
        try:
            return {'result': objects.to_primitive(handler(context, **args))}
        except Exception as error:
            LOG.exception('%s failed', method)
            return {'error': {'type': type(error).__name__,
                              'message': str(error)}}


def guest_server_parts(endpoint, key, instance_id, seen,
                       ageless_methods=()):
    """``(endpoints, serializer)`` of the RPC server of one guest: it
    obeys only envelopes sealed with its own instance's key, each once
    (``seen``: where accepted ids are kept, common.seen_ids)."""
    seal = seal_with(key)

    def seal_of(named):
        if named != instance_id:
            raise BrokenSeal(f'sent to {instance_id}')
        return seal
    return ([SealedEndpoint(endpoint)],
            EnvelopeSerializer(seal_of, ReplayGuard(seen, ageless_methods)))


def control_plane_key():
    """The key of the messages between control-plane services (to the
    taskmanager), derived from ``inst_rpc_key_encr_key``, which only the
    control plane holds: a guest, whatever it can publish on the broker,
    cannot make the taskmanager act."""
    digest = hashlib.sha256(
        b'control-plane:' + CONF.inst_rpc_key_encr_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def control_plane_server_parts(endpoint, seen):
    """``(endpoints, serializer)`` of the taskmanager's RPC server: it
    obeys only envelopes sealed with the control-plane key. Its requests
    wait in the queue while it is down, so they are accepted for
    ``sealed_message_max_queue_age`` (each once; every method also checks
    the instance's task)."""
    return guest_server_parts(endpoint, control_plane_key(), CONTROL_PLANE,
                              seen, ageless_methods=EVERY_METHOD)


def conductor_server_parts(endpoint, find_key, seen):
    """``(endpoints, serializer)`` of the conductor's RPC server: it
    opens each guest's report with the key of the instance it names
    (``find_key(instance_id)``: found, key), each report once: a
    heartbeat by its ``sent`` stamp (the conductor's lastseen guard), any
    other report by its id."""
    seals = lru.BoundedCache(CONF.instance_key_cache_size)

    def seal_of(instance_id):
        found, key = find_key(instance_id)
        if not found:
            raise BrokenSeal('no such instance')
        if not key:
            return _Clear()
        return seals.get_or_add(key, lambda: Seal(key))
    return ([SealedEndpoint(endpoint)],
            EnvelopeSerializer(seal_of, ReplayGuard(
                seen, stamped_methods=('heartbeat',))))
