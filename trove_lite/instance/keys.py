"""The key of each instance that seals the messages to and from its guest
(``encrypted_rpc_messaging``; see common.sealing). Keys are stored
encrypted with ``inst_rpc_key_encr_key``, as Trove stores them."""

import base64
import dataclasses
import hashlib
import logging
import os

from trove_lite import db
from trove_lite.common import lru
from trove_lite.common import sealing
from trove_lite.conf import CONF
from trove_lite.db.repositories import instances

LOG = logging.getLogger(__name__)


def new_key():
    """A fresh key in the clear."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _storage_seal():
    digest = hashlib.sha256(CONF.inst_rpc_key_encr_key.encode()).digest()
    return sealing.Seal(base64.urlsafe_b64encode(digest))


def encrypt(key):
    """The stored form of ``key``."""
    return _storage_seal().close(key)


def decrypt(stored):
    """The key from its stored form; None (and an error logged) when it
    does not open with ``inst_rpc_key_encr_key``."""
    try:
        return _storage_seal().open(stored)
    except sealing.BrokenSeal:
        LOG.error('An instance key does not open with '
                  'inst_rpc_key_encr_key: its guest cannot be reached')
        return None


def new_instance_key():
    """``(key, stored form)`` for a new instance; both None when its
    messages go in the clear."""
    if not CONF.encrypted_rpc_messaging:
        return None, None
    key = new_key()
    return key, encrypt(key)


def seal_passwords(key, users):
    """UserSpecs whose passwords are sealed with the instance's ``key``:
    the create request reaches the taskmanager without a password in the
    clear (unchanged without a key)."""
    if not key:
        return users
    seal = sealing.Seal(key)
    return [dataclasses.replace(user, password=seal.close(user.password))
            if user.password else user for user in users]


def open_passwords(instance_id, users):
    """The UserSpecs sealed by seal_passwords, opened with the key of
    their instance."""
    key = key_of(instance_id)
    if not key:
        return users
    seal = sealing.Seal(key)
    return [dataclasses.replace(user, password=seal.open(user.password))
            if user.password else user for user in users]


class _Keys:
    """instance id -> key, read from the database once per instance (an
    instance's key never changes) and kept for the most recently used
    ``instance_key_cache_size`` instances. Unknown instances are not
    remembered: the conductor hears from a new guest before this copy
    does."""

    def __init__(self):
        self._keys = None

    def find(self, instance_id):
        """``(found, key)``: key None for an instance without one."""
        if self._keys is None:
            self._keys = lru.BoundedCache(CONF.instance_key_cache_size)
        key = self._keys.get(instance_id, self)
        if key is not self:
            return True, key
        found, stored = db.read(instances.encrypted_key, instance_id)
        if not found:
            return False, None
        key = None
        if stored:
            key = decrypt(stored)
            if key is None:
                # Never "no key" (messages in the clear): not reachable.
                return False, None
        self._keys.put(instance_id, key)
        return True, key

    def of(self, instance_id):
        return self.find(instance_id)[1]


_KEYS = _Keys()
find_key = _KEYS.find
key_of = _KEYS.of
