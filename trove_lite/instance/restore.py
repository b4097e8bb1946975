"""What a new instance restores: the chain of stored backups from a full
backup to the one named by ``restorePoint``, checked before anything of
the instance is written."""

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.db.repositories import backups
from trove_lite.records.backup import BackupState


def restore_info(context, backup_id, version, volume_size):
    """What a new instance of datastore ``version`` with ``volume_size``
    GB restores from backup ``backup_id`` of the caller's project: the
    chain from its full backup to it, checked completely (404 unknown,
    409 not completed, 400 another datastore or too small a volume). The
    instance it was taken from may be gone."""
    backup = db.read(backups.get, backup_id, context.project_id)
    if backup.state != BackupState.COMPLETED:
        raise exceptions.BackupNotComplete(backup_id=backup.id,
                                           state=backup.state)
    source = catalogue_api.get_version(backup.datastore_version_id)
    if source is None or source.datastore_id != version.datastore_id:
        raise exceptions.BadRequest(
            f'Backup {backup.id} holds data of another datastore; restore '
            f'it into an instance of its own datastore.')
    if backup.is_volume_backup:
        return _volume_restore_info(backup, volume_size)
    chain = [backup]
    while chain[0].parent_id is not None:
        parent = db.read(backups.find, chain[0].parent_id)
        if parent is None or parent.state != BackupState.COMPLETED:
            raise exceptions.BackupNotComplete(
                backup_id=chain[0].parent_id,
                state=parent.state if parent else 'DELETED')
        chain.insert(0, parent)
    stored_gb = sum(item.size or 0 for item in chain)
    if volume_size is not None and stored_gb > volume_size:
        raise exceptions.BadRequest(
            f'Backup {backup.id} holds {stored_gb:.2f} GB: the volume '
            f'({volume_size} GB) is too small for it.')
    return {'id': backup.id, 'project_id': backup.tenant_id,
            'chain': [{'id': item.id, 'location': item.location,
                       'checksum': item.checksum} for item in chain]}


def _volume_restore_info(backup, volume_size):
    """A "cinder" backup becomes the new instance's volume, which must
    be at least as big as the volume it was taken from."""
    if volume_size is None:
        raise exceptions.BadRequest(
            f'Backup {backup.id} is a volume snapshot: the instance needs '
            f'a volume to restore it into.')
    if (backup.size or 0) > volume_size:
        raise exceptions.BadRequest(
            f'Backup {backup.id} holds {backup.size:.2f} GB: the volume '
            f'({volume_size} GB) is too small for it.')
    return {'id': backup.id, 'project_id': backup.tenant_id, 'chain': [],
            'volume_snapshot': [backup.tenant_id, backup.id]}
