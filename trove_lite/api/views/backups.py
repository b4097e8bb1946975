"""JSON shape of a backup (Trove's BackupView)."""

from trove_lite.api.views import common

_BYTES_PER_GB = 1024 ** 3


def size_gb(size_bytes):
    """A stored size in GB, as Trove shows it (a float)."""
    return round(size_bytes / _BYTES_PER_GB, 6)


def backup(record):
    view = {
        'id': record.id,
        'name': record.name,
        'description': record.description,
        'locationRef': record.location,
        'instance_id': record.instance_id,
        'created': common.timestamp(record.created),
        'updated': common.timestamp(record.updated),
        'size': record.size,
        'status': record.state,
        'parent_id': record.parent_id,
        'project_id': record.tenant_id,
    }
    if record.datastore_version_id:
        view['datastore'] = {'type': record.datastore_name,
                             'version': record.datastore_version_name,
                             'version_id': record.datastore_version_id}
    if record.fault:
        view['fault'] = record.fault
    return view
