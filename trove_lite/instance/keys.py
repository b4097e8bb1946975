"""The key of each instance that seals the messages to and from its guest
(``encrypted_rpc_messaging``; see rpc.SealedSerializer)."""

import base64
import os
import threading

from trove_lite import db
from trove_lite.conf import CONF
from trove_lite.db.repositories import instances


def new_key():
    """A key for a new instance, or None when messages go in the clear."""
    if not CONF.encrypted_rpc_messaging:
        return None
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


class _Keys:
    """instance id -> key, read from the database once per instance (an
    instance's key never changes). Unknown instances are not remembered:
    the conductor hears from a new guest before this copy does."""

    def __init__(self):
        self._keys = {}
        self._lock = threading.Lock()

    def of(self, instance_id):
        with self._lock:
            if instance_id in self._keys:
                return self._keys[instance_id]
        found, key = db.read(instances.encrypted_key, instance_id)
        if found:
            with self._lock:
                self._keys[instance_id] = key
        return key


key_of = _Keys().of
