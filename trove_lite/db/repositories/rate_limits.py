"""Rate limit buckets: the level of each limit of each project, with the
database time (epoch seconds) it was last drained at."""

import hashlib

import sqlalchemy as sa

from trove_lite.db import coordination_models
from trove_lite.db import sql

_B = coordination_models.RateLimitBucket.__table__


def project_key(project_id):
    """The project as stored: the id itself, or a digest of an id longer
    than the column (with noauth, the URL names the project)."""
    if len(project_id) <= _B.c.project_id.type.length:
        return project_id
    return 'sha256:' + hashlib.sha256(project_id.encode()).hexdigest()


def now(conn):
    """The database's clock in epoch seconds."""
    return (sql.database_now(conn) - sql.EPOCH).total_seconds()


def lock_levels(tx, project_id, limit_keys):
    """``{limit_key: (level, updated)}`` of the project's stored buckets
    among ``limit_keys``, locked until ``tx`` ends (buckets never stored
    are missing: ``create_missing`` them first)."""
    rows = tx.execute(sa.select(_B.c.limit_key, _B.c.level, _B.c.updated)
                      .where(_B.c.project_id == project_key(project_id),
                             _B.c.limit_key.in_(limit_keys))
                      .order_by(_B.c.limit_key).with_for_update())
    return {key: (level, updated) for key, level, updated in rows}


def levels(conn, project_id):
    """``{limit_key: (level, updated)}`` of every stored bucket of the
    project, unlocked (for showing, not for counting)."""
    rows = conn.execute(sa.select(_B.c.limit_key, _B.c.level, _B.c.updated)
                        .where(_B.c.project_id == project_key(project_id)))
    return {key: (level, updated) for key, level, updated in rows}


def create_missing(tx, project_id, limit_keys):
    """Empty buckets for those of ``limit_keys`` the project has none of
    (a racing API process may create them first)."""
    for key in limit_keys:
        tx.execute(sql.insert_ignore(_B).values(
            project_id=project_key(project_id), limit_key=key, level=0.0,
            updated=None))


def save(tx, project_id, new_levels, at):
    """Store ``{limit_key: level}`` as of ``at`` (epoch seconds)."""
    for key, level in new_levels.items():
        tx.execute(_B.update().where(
            _B.c.project_id == project_key(project_id),
            _B.c.limit_key == key).values(level=level, updated=at))


def forget_drained(tx, at):
    """Delete the buckets that have drained empty by ``at``: they hold
    nothing a fresh bucket would not."""
    return tx.execute(_B.delete().where(
        _B.c.updated + _B.c.level <= at)).rowcount
