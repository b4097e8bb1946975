"""The database logs of a running instance (``/instances/{id}/log``):
RPC calls to its guest, which keeps them and publishes them to the
instance's project's backup storage."""

from trove_lite.common import exceptions
from trove_lite.datastore import mysql_config
from trove_lite.instance import api as instance_api
from trove_lite.storage import grants


def list_logs(context, record):
    """The instance's logs (Trove's guest log descriptions)."""
    return instance_api.running_guest(record).guest_log_list(
        context, project_id=record.tenant_id)


def act(context, record, name, action):
    """Show the log ``name`` (``action`` None) or ``enable``, ``disable``,
    ``publish`` or ``discard`` it; its description afterwards."""
    if name not in mysql_config.LOG_FILES:
        raise exceptions.BadRequest(
            f"Log '{name}' does not exist (logs: "
            f"{', '.join(sorted(mysql_config.LOG_FILES))}).")
    if name in mysql_config.SYSTEM_LOGS and action in ('enable', 'disable'):
        raise exceptions.BadRequest(
            f"Log '{name}' is a system log: it is always on.")
    guest = instance_api.running_guest(record)
    flags = {key: key == action for key in
             ('enable', 'disable', 'publish', 'discard')}
    grant = None
    if action in ('publish', 'discard'):
        grant = grants.for_published_logs(record.tenant_id, record.id)
    return guest.guest_log_action(context, name, project_id=record.tenant_id,
                                  storage=grant, **flags)
