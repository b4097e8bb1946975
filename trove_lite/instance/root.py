"""The root user of a running instance (``/instances/{id}/root``).

Whether root is enabled is answered from the root-enabled history, as
Trove does; enabling and disabling are RPC calls to the guest. The
generated password leaves the guest only in the enable call's answer,
which the API returns once.
"""

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.db.repositories import root_history
from trove_lite.instance import api as instance_api


def is_enabled(context, record):
    """Whether root of the instance (a record from instance.api.get) is
    enabled."""
    instance_api.check_datastore_running(record)
    return db.read(root_history.is_enabled, record.id)


def enable(context, record, password=None):
    """Enable remote root with ``password`` (generated when None); returns
    root's UserSpec with the password."""
    instance_api.check_datastore_running(record)
    guest = instance_api.guest(record)
    if password is None:
        root = guest.enable_root(context)
    else:
        root = guest.enable_root_with_password(context, password)
    _record_enable(record.id, context.user_id)
    return root


def _record_enable(instance_id, user):
    """Record that ``user`` enabled root now (an enable while root is
    enabled keeps the first record, as Trove does). Two transactions: the
    shared lock an ignored insert takes on the row would deadlock racing
    enables that then update it."""
    with db.transaction() as tx:
        if root_history.record_first(tx, instance_id, user):
            return
    with db.transaction() as tx:
        root_history.record_again(tx, instance_id, user)


def disable(context, record):
    """Disable remote root (404 when it was never enabled)."""
    instance_api.check_datastore_running(record)
    if not db.read(root_history.is_enabled, record.id):
        raise exceptions.RootHistoryNotFound()
    instance_api.guest(record).disable_root(context)
    with db.transaction() as tx:
        root_history.record_disable(tx, record.id)
