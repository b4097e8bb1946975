"""SQLAlchemy 2 models of the control-plane database.

Table and column names follow Trove's where Trove has them, so operators
reading the database recognise it.
"""

import datetime
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy import orm


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


# When a row was made and last changed, kept by SQLAlchemy (UTC, naive).
Created = Annotated[datetime.datetime,
                    orm.mapped_column(sa.DateTime, default=utcnow)]
Updated = Annotated[datetime.datetime,
                    orm.mapped_column(sa.DateTime, default=utcnow,
                                      onupdate=utcnow)]


class Base(orm.DeclarativeBase):
    pass


class Datastore(Base):
    __tablename__ = 'datastores'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    default_version_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36))


class DatastoreVersion(Base):
    __tablename__ = 'datastore_versions'
    __table_args__ = (sa.UniqueConstraint('datastore_id', 'name', 'version',
                                          name='ds_versions'),)

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    datastore_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastores.id'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    version: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    manager: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    image_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    packages: orm.Mapped[str | None] = orm.mapped_column(sa.String(511))
    active: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)


class Flavor(Base):
    """The local flavor catalogue (what Nova's flavors are to Trove)."""

    __tablename__ = 'flavors'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    ram: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    vcpus: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    disk: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    ephemeral: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)


class Instance(Base):
    __tablename__ = 'instances'
    __table_args__ = (sa.Index('instances_tenant_id', 'tenant_id',
                               'deleted'),
                      sa.Index('instances_host', 'host', 'deleted'))

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    created: orm.Mapped[Created]
    updated: orm.Mapped[Updated]
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    flavor_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    datastore_version_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'))
    volume_size: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    volume_type: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    region_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    task_id: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    task_description: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    task_start_time: orm.Mapped[datetime.datetime | None] = \
        orm.mapped_column(sa.DateTime)
    # What the compute driver reported last: the API derives status from
    # it without asking the driver on every request.
    compute_instance_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36))
    volume_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    server_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    addresses: orm.Mapped[list | None] = orm.mapped_column(sa.JSON)
    deleted: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    configuration_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('configurations.id'))
    # The key that seals the messages to and from this instance's guest
    # (Trove's column; None: the guest talks in the clear).
    encrypted_key: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    # The taskmanager host whose compute driver holds the server, for
    # drivers whose servers live on one host (Nova's instances.host);
    # None where any taskmanager reaches it.
    host: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # The replication source of a replica (Trove's column).
    slave_of_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('instances.id'), index=True)
    # trove-lite's: a source whose replicas take over by themselves.
    automatic_failover: orm.Mapped[bool | None] = orm.mapped_column(
        sa.Boolean)
    # Trove's access: {"is_public": bool, "allowed_cidrs": [...]} as the
    # tenant asked, or None (open to everyone, shown derived).
    access: orm.Mapped[dict | None] = orm.mapped_column(sa.JSON)


class InstanceServiceStatus(Base):
    """What the guest last reported (written only by the conductor)."""

    __tablename__ = 'instance_service_statuses'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    instance_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('instances.id'), unique=True)
    status_id: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    status_description: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, default=utcnow)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, default=utcnow)
    # The volume usage measured for the report of updated_at (used in
    # GB), or None when that report carried none.
    volume_used: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    # Seconds a replica is behind its source, as its last report said
    # (None: no replica, or not replicating).
    replication_lag: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    volume_used_percent: orm.Mapped[float | None] = orm.mapped_column(
        sa.Float)


class InstanceFault(Base):
    """Why an instance failed; shown to its owner as the ``fault`` key."""

    __tablename__ = 'instance_faults'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    instance_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('instances.id'), index=True)
    message: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    details: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created: orm.Mapped[Created]
    deleted: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)


class ConductorLastSeen(Base):
    """The newest ``sent`` stamp applied per instance and RPC method."""

    __tablename__ = 'conductor_lastseen'

    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     primary_key=True)
    method_name: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     primary_key=True)
    sent: orm.Mapped[float] = orm.mapped_column(sa.Double)


class Quota(Base):
    """A project's hard limit of one resource, where an admin set one
    (else the ``max_<resource>_per_tenant`` default applies)."""

    __tablename__ = 'quotas'
    __table_args__ = (sa.UniqueConstraint('tenant_id', 'resource',
                                          name='quotas_tenant_resource'),)

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    created: orm.Mapped[Created]
    updated: orm.Mapped[Updated]
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    hard_limit: orm.Mapped[int] = orm.mapped_column(sa.Integer)


class QuotaUsage(Base):
    """How much of one resource a project uses. Changed only in the
    transaction that creates or deletes what uses it, under a row lock,
    so concurrent requests cannot go past the limit."""

    __tablename__ = 'quota_usages'
    __table_args__ = (sa.UniqueConstraint(
        'tenant_id', 'resource', name='quota_usages_tenant_resource'),)

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    created: orm.Mapped[Created]
    updated: orm.Mapped[Updated]
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    in_use: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)


class RootEnabledHistory(Base):
    """When root was last enabled on an instance, and by whom (Trove's
    ``root_enabled_history``); ``deleted_at`` later than ``created`` means
    root was disabled since."""

    __tablename__ = 'root_enabled_history'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    user: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    created: orm.Mapped[Created]
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)


class DatastoreConfigurationParameter(Base):
    """A server setting tenants may put in a configuration group of one
    datastore version (Trove's ``datastore_configuration_parameters``).
    ``min_size``/``max_size`` are numbers in text, as in Trove;
    ``allowed_values`` and ``multiple`` are trove-lite's (see
    datastore.parameters)."""

    __tablename__ = 'datastore_configuration_parameters'
    __table_args__ = (sa.UniqueConstraint('datastore_version_id', 'name',
                                          name='ds_config_parameters'),)

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(128))
    datastore_version_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'))
    restart_required: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    max_size: orm.Mapped[str | None] = orm.mapped_column(sa.String(40))
    min_size: orm.Mapped[str | None] = orm.mapped_column(sa.String(40))
    data_type: orm.Mapped[str] = orm.mapped_column(sa.String(128))
    allowed_values: orm.Mapped[list | None] = orm.mapped_column(sa.JSON)
    multiple: orm.Mapped[bool] = orm.mapped_column(sa.Boolean,
                                                   default=False)
    created: orm.Mapped[Created]


class Configuration(Base):
    """A configuration group: named parameter values of one datastore
    version, owned by a project."""

    __tablename__ = 'configurations'
    __table_args__ = (sa.Index('configurations_tenant_id', 'tenant_id',
                               'deleted'),)

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    datastore_version_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'))
    deleted: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    created: orm.Mapped[Created]
    updated: orm.Mapped[Updated]


class ConfigurationValue(Base):
    """One value of a configuration group (Trove's
    ``configuration_parameters``), JSON-encoded so it keeps its type."""

    __tablename__ = 'configuration_parameters'

    configuration_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('configurations.id'), primary_key=True)
    configuration_key: orm.Mapped[str] = orm.mapped_column(
        sa.String(128), primary_key=True)
    configuration_value: orm.Mapped[str] = orm.mapped_column(sa.Text)


class Backup(Base):
    """A backup of an instance's data in the backup storage (Trove's
    ``backups``). ``location`` is set by the taskmanager before the guest
    writes, so whatever a failed backup left there can be removed; ``lsn``
    is where the backup ends in the InnoDB log (an incremental child
    starts there)."""

    __tablename__ = 'backups'
    __table_args__ = (sa.Index('backups_tenant_id', 'tenant_id', 'deleted'),
                      sa.Index('backups_instance_id', 'instance_id'),
                      sa.Index('backups_parent_id', 'parent_id'))

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(512))
    location: orm.Mapped[str | None] = orm.mapped_column(sa.String(1024))
    backup_type: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    size: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    state: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    instance_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    checksum: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    backup_timestamp: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    deleted: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    created: orm.Mapped[Created]
    updated: orm.Mapped[Updated]
    parent_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    datastore_version_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'))
    lsn: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    fault: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # Taken by the instance's backup policy (expires with its retention).
    automated: orm.Mapped[bool] = orm.mapped_column(
        sa.Boolean, default=False, server_default=sa.false())


class BackupPolicy(Base):
    """An instance's backup policy (point-in-time restore): the
    retention and the daily window of its automated backups (minutes of
    the UTC day), and the span its guest reported its binary log archived
    for. The row outlives its instance by the retention."""

    __tablename__ = 'backup_policies'
    __table_args__ = (sa.Index('backup_policies_tenant_id', 'tenant_id'),)

    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     primary_key=True)
    tenant_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    retention_days: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    window_start: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    window_end: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    archived_since: orm.Mapped[datetime.datetime | None] = \
        orm.mapped_column(sa.DateTime)
    archived_until: orm.Mapped[datetime.datetime | None] = \
        orm.mapped_column(sa.DateTime)
    archive_sent: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
    ended: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    created: orm.Mapped[Created]
    updated: orm.Mapped[Updated]
