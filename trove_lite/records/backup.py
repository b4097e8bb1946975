"""Backups as the services see them, and their states (Trove's)."""

import dataclasses
import datetime

#: Location scheme of a backup taken as a snapshot of its instance's
#: volume (``storage_driver`` "cinder"); the compute driver keeps it.
VOLUME_SCHEME = 'cinder://'


def volume_location(backup_id):
    return f'{VOLUME_SCHEME}{backup_id}'


class BackupState:
    NEW = 'NEW'
    BUILDING = 'BUILDING'
    COMPLETED = 'COMPLETED'
    FAILED = 'FAILED'

    #: A backup in one of these still runs: its instance is busy, and it
    #: may not be deleted.
    RUNNING = frozenset({NEW, BUILDING})
    #: States a backup ends in.
    END = frozenset({COMPLETED, FAILED})


@dataclasses.dataclass
class Backup:
    """One backup with the names its views show. The repository fills the
    fields up to ``fault`` from the columns of the same names, in this
    order."""

    id: str
    name: str
    description: str | None
    location: str | None
    backup_type: str | None
    size: float | None
    tenant_id: str
    state: str
    instance_id: str | None
    checksum: str | None
    created: datetime.datetime
    updated: datetime.datetime
    parent_id: str | None
    datastore_version_id: str | None
    lsn: int | None
    fault: str | None
    datastore_name: str | None = None
    datastore_version_name: str | None = None
    datastore_manager: str | None = None

    @property
    def is_running(self):
        return self.state in BackupState.RUNNING

    @property
    def is_volume_backup(self):
        """A snapshot of the instance's volume, not an object stored."""
        return bool(self.location and
                    self.location.startswith(VOLUME_SCHEME))
