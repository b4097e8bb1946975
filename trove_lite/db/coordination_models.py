"""Tables the control-plane processes coordinate through: who runs
(services), who works on an instance (claims), and what every API or
conductor process must count or remember alike (rate limits, guest-call
slots, accepted envelope ids). The domain's tables are in ``models``.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from trove_lite.db.models import Base


class Service(Base):
    """A running taskmanager or conductor and its last heartbeat (Nova's
    ``services``). Times are the database's clock, so hosts whose clocks
    disagree still agree on who is alive."""

    __tablename__ = 'services'
    __table_args__ = (sa.UniqueConstraint('host', 'binary',
                                          name='services_host_binary'),)

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    binary: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    topic: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime)
    stopped_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    # Servers a taskmanager's host runs at most (None: no limit, or not
    # a taskmanager).
    capacity: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)


class InstanceClaim(Base):
    """Which taskmanager works on an instance now (Ironic's node
    reservation). It lapses when its host's registry heartbeat is older
    than ``taskmanager_lease_timeout``; see taskmanager.claims."""

    __tablename__ = 'instance_claims'

    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                     primary_key=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    purpose: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    claimed_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime)


class SealedMessageId(Base):
    """The id of a sealed envelope a control-plane receiver accepted,
    kept until ``keep_until`` (epoch seconds) to refuse its replay (see
    common.seen_ids)."""

    __tablename__ = 'sealed_message_ids'

    instance_id: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                     primary_key=True)
    message_id: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                    primary_key=True)
    keep_until: orm.Mapped[float] = orm.mapped_column(sa.Double,
                                                      index=True)


class GuestCallSlot(Base):
    """One place of the API requests waiting on a project's guests,
    shared by every API process (see instance.guest_waits): held by
    ``holder`` until ``held_until`` (the database's clock, epoch
    seconds)."""

    __tablename__ = 'guest_call_slots'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    primary_key=True)
    slot: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                              autoincrement=False)
    holder: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    held_until: orm.Mapped[float | None] = orm.mapped_column(sa.Double)


class RateLimitBucket(Base):
    """The level of one rate limit of one project, shared by every API
    process (see api.ratelimit). Times are the database's clock in epoch
    seconds."""

    __tablename__ = 'rate_limit_buckets'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    primary_key=True)
    limit_key: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                   primary_key=True)
    level: orm.Mapped[float] = orm.mapped_column(sa.Double)
    updated: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
