"""Thin versioned objects passed over RPC instead of long argument lists.

An object serialises to ``{"trove_lite_object.name": ..,
"trove_lite_object.version": .., "trove_lite_object.data": {..}}`` so a
receiver rebuilds the right class. A minor version adds fields with
defaults: a receiver fills what an older sender left out and drops what a
newer one added. A major version the receiver does not have is refused
(IncompatibleObjectVersion) before anything is built from it.
"""

import dataclasses

from trove_lite.common import exceptions

NAME_KEY = 'trove_lite_object.name'
VERSION_KEY = 'trove_lite_object.version'
DATA_KEY = 'trove_lite_object.data'

_REGISTRY = {}


def remotable(cls):
    """Class decorator: make a dataclass travel over RPC."""
    _REGISTRY[cls.__name__] = cls
    return cls


@dataclasses.dataclass
class RemoteObject:
    VERSION = '1.0'

    def to_primitive(self):
        return {NAME_KEY: type(self).__name__,
                VERSION_KEY: self.VERSION,
                DATA_KEY: dataclasses.asdict(self)}

    @staticmethod
    def is_primitive(value):
        return isinstance(value, dict) and NAME_KEY in value

    @staticmethod
    def from_primitive(primitive):
        name = primitive[NAME_KEY]
        cls = _REGISTRY.get(name)
        if cls is None:
            raise exceptions.IncompatibleObjectVersion(
                name=name, version=primitive.get(VERSION_KEY), known='none')
        if _major(primitive.get(VERSION_KEY)) != _major(cls.VERSION):
            raise exceptions.IncompatibleObjectVersion(
                name=name, version=primitive.get(VERSION_KEY),
                known=cls.VERSION)
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in primitive[DATA_KEY].items() if k in known}
        return cls(**data)


@remotable
@dataclasses.dataclass
class DatabaseSpec(RemoteObject):
    name: str
    character_set: str | None = None
    collate: str | None = None


@remotable
@dataclasses.dataclass
class UserSpec(RemoteObject):
    """A datastore user; ``password`` is only set where one is being set
    (never when a guest lists its users)."""

    name: str
    password: str | None = None
    host: str = '%'
    databases: list[str] = dataclasses.field(default_factory=list)

    def __repr__(self):
        # Never let a password reach a log line through repr().
        return (f'UserSpec(name={self.name!r}, host={self.host!r}, '
                f'databases={self.databases!r}, password=***)')


class CarriesDatabasesAndUsers:
    """Turns the ``databases`` and ``users`` lists back into specs (a
    dataclass sends nested objects as plain dicts)."""

    def __post_init__(self):
        self.databases = [_revive(d, DatabaseSpec) for d in self.databases]
        self.users = [_revive(u, UserSpec) for u in self.users]


@remotable
@dataclasses.dataclass
class InstanceSpec(CarriesDatabasesAndUsers, RemoteObject):
    """Everything the taskmanager needs to build one instance."""

    instance_id: str
    name: str
    flavor: dict
    datastore_manager: str
    datastore_version: str
    datastore_version_id: str
    image_id: str | None = None
    volume_size: int | None = None
    volume_type: str | None = None
    databases: list = dataclasses.field(default_factory=list)
    users: list = dataclasses.field(default_factory=list)
    availability_zone: str | None = None
    #: A restore: ``{"id", "project_id", "chain": [{"id", "location",
    #: "checksum"}, ...]}``, the full backup first (see backup.restore);
    #: a point-in-time one adds ``"binlog": {"instance_id", "container",
    #: "stop_time"}``.
    backup_info: dict | None = None
    #: With a backup policy: where the guest archives its binary log,
    #: ``{"project_id", "container"}``.
    binlog_archive: dict | None = None
    #: A replica: the id of its source (built from a snapshot of it).
    replica_of: str | None = None
    #: The network the tenant chose: at most one ``{"network_id",
    #: "subnet_id", "ip_address"}`` (ComputeDriver.checked_nics).
    nics: list = dataclasses.field(default_factory=list)

    def __repr__(self):
        return (f'InstanceSpec(instance_id={self.instance_id!r}, '
                f'name={self.name!r}, flavor={self.flavor.get("id")!r}, '
                f'datastore={self.datastore_manager}/'
                f'{self.datastore_version})')


@remotable
@dataclasses.dataclass
class PrepareRequest(CarriesDatabasesAndUsers, RemoteObject):
    """What the guest needs to set up its datastore."""

    memory_mb: int
    databases: list = dataclasses.field(default_factory=list)
    users: list = dataclasses.field(default_factory=list)
    config_overrides: dict = dataclasses.field(default_factory=dict)
    #: The backup to restore (InstanceSpec.backup_info), or None.
    backup_info: dict | None = None
    #: Where to archive the binary log (InstanceSpec.binlog_archive).
    binlog_archive: dict | None = None
    #: A replica's source (Trove's ``snapshot``): ``{"master": {"host",
    #: "port", "user", "password"}}``; the password never reaches a log.
    snapshot: dict | None = None

    def __repr__(self):
        restore = self.backup_info['id'] if self.backup_info else None
        return (f'PrepareRequest(memory_mb={self.memory_mb}, '
                f'databases={[d.name for d in self.databases]}, '
                f'users={[u.name for u in self.users]}, '
                f'restore={restore}, replica={bool(self.snapshot)})')


def _major(version):
    """The major part of ``"X.Y"``; None for anything else."""
    if not isinstance(version, str):
        return None
    major, _dot, minor = version.partition('.')
    if not (major.isdigit() and minor.isdigit()):
        return None
    return int(major)


def _revive(value, cls):
    if isinstance(value, cls):
        return value
    if RemoteObject.is_primitive(value):
        return RemoteObject.from_primitive(value)
    return cls(**value)


@remotable
@dataclasses.dataclass
class BackupInfo(RemoteObject):
    """What a guest needs to write a backup (``create_backup``): where,
    the storage grant to write it with (``storage``, see
    storage.grants), and for an incremental one its parent's end in the
    InnoDB log (``parent_lsn``)."""

    id: str
    project_id: str
    container: str | None = None
    name: str | None = None
    location: str | None = None
    backup_type: str = 'full'
    parent_lsn: int | None = None
    storage: dict | None = None


def to_primitive(entity):
    """``entity`` with every RemoteObject in it as its primitive (what
    travels in an RPC message)."""
    if isinstance(entity, RemoteObject):
        return entity.to_primitive()
    if isinstance(entity, (list, tuple)):
        return [to_primitive(item) for item in entity]
    if isinstance(entity, dict):
        return {key: to_primitive(value) for key, value in entity.items()}
    return entity


def from_primitive(entity):
    """The inverse of to_primitive."""
    if RemoteObject.is_primitive(entity):
        return RemoteObject.from_primitive(entity)
    if isinstance(entity, list):
        return [from_primitive(item) for item in entity]
    if isinstance(entity, dict):
        return {key: from_primitive(value) for key, value in entity.items()}
    return entity
