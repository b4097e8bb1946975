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
    #: Taken by the instance's backup policy.
    automated: bool
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


@dataclasses.dataclass
class BackupPolicy:
    """An instance's backup policy: the retention in days and the daily
    window of its automated backups (minutes of the UTC day, the end
    exclusive; an end before the start wraps past midnight, one equal to
    the start is the whole day), and the span
    of the binary log its guest reported archived. The repository fills
    the fields from the columns of the same names, in this order."""

    instance_id: str
    tenant_id: str
    retention_days: int
    window_start: int
    window_end: int
    archived_since: datetime.datetime | None
    archived_until: datetime.datetime | None
    archive_sent: float | None
    ended: datetime.datetime | None
    created: datetime.datetime
    updated: datetime.datetime

    @property
    def window(self):
        """The window as the API writes it, ``HH:MM-HH:MM``."""
        return (f'{self.window_start // 60:02d}:{self.window_start % 60:02d}'
                f'-{self.window_end // 60:02d}:{self.window_end % 60:02d}')

    def in_window(self, minute_of_day):
        if self.window_start == self.window_end:
            return True
        if self.window_start <= self.window_end:
            return self.window_start <= minute_of_day < self.window_end
        return minute_of_day >= self.window_start or \
            minute_of_day < self.window_end
