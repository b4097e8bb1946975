"""Backup storage: where backups, binlog archives and published logs go.

The guest agent writes and reads it from inside the instance, so this
package imports nothing of the control plane (no database, no instance
modules): only the configuration and the exceptions.

Use::

    from trove_lite import storage

    store = storage.get_storage(project_id)   # per storage_strategy
    store = storage.get_storage(project_id, grant=grant)   # in a guest
    location = store.location(container, name)        # known before saving
    saved = store.save(container, name, stream, {'backup_type': 'full'})
    saved.location, saved.size, saved.checksum, saved.source_size
    with store.load(saved.location, saved.checksum) as reader:
        for chunk in reader: ...                      # or reader.read(n)
    store.get_info(location)      # ObjectInfo: size, checksum, metadata
    store.exists(location)
    store.list(container, prefix)  # ObjectInfo of each name with prefix
    store.delete(location)        # also what a failed save left

``stream`` is a file object or an iterable of bytes; nothing is held whole
in memory or copied to local disk. ``save(..., encode=True)`` (the default)
compresses (``backup_compression``) and, with ``backup_aes_cbc_key`` set,
encrypts in authenticated chunks (format in ``codec``); ``load`` decodes
what was saved encoded. Errors are the Storage* exceptions of
trove_lite.common.exceptions.
"""

from trove_lite.conf import CONF
from trove_lite.storage.base import ObjectInfo  # noqa: F401
from trove_lite.storage.base import SavedObject  # noqa: F401
from trove_lite.storage.base import Storage  # noqa: F401


def get_storage(project_id, conf=None, grant=None):
    """The storage driver of ``storage_strategy`` bound to ``project_id``:
    with the storage's own credentials (the control plane), or, for a
    guest, with ``grant`` (see storage.grants)."""
    conf = conf or CONF
    if conf.storage_strategy == 'swift':
        from trove_lite.storage import swift
        return swift.SwiftStorage(project_id, conf, grant)
    from trove_lite.storage import local
    return local.LocalStorage(project_id, conf, grant)
