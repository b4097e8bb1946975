"""The root-enabled history: is root enabled, and what racing enables
leave behind."""

import datetime

import sqlalchemy as sa

from trove_lite import db
from trove_lite.db import models
from trove_lite.db.repositories import root_history
from trove_lite.instance import root

_R = models.RootEnabledHistory.__table__


def history(instance_id):
    with db.transaction() as tx:
        row = tx.execute(sa.select(_R).where(_R.c.id == instance_id)).one()
    return row.user, row.created, row.deleted_at


def insert(**values):
    with db.transaction() as tx:
        tx.execute(_R.insert().values(**values))


# How instance.root records an enable: the first, or again.
enable = root._record_enable


def test_an_enable_while_enabled_keeps_the_first_record(database):
    enable('i1', 'alice')
    first = history('i1')
    enable('i1', 'bob')
    assert history('i1') == first and first[0] == 'alice'
    assert db.read(root_history.is_enabled, 'i1')


def test_an_enable_that_lost_the_race_to_insert_keeps_the_winner(database):
    # What a racing first enable finds: the row its rival inserted after
    # both saw none. It neither fails nor overwrites it.
    created = datetime.datetime(2026, 1, 1)
    insert(id='i1', user='alice', created=created)
    with db.transaction() as tx:
        assert not root_history.record_first(tx, 'i1', 'bob')
    with db.transaction() as tx:
        root_history.record_again(tx, 'i1', 'bob')
    assert history('i1') == ('alice', created, None)


def test_an_enable_after_a_disable_records_anew(database):
    insert(id='i1', user='alice', created=datetime.datetime(2026, 1, 1),
           deleted_at=datetime.datetime(2026, 1, 2))
    assert not db.read(root_history.is_enabled, 'i1')
    enable('i1', 'bob')
    user, created, deleted_at = history('i1')
    assert (user, deleted_at) == ('bob', None)
    assert created > datetime.datetime(2026, 1, 2)
    assert db.read(root_history.is_enabled, 'i1')


def test_a_disable_is_recorded(database):
    enable('i1', 'alice')
    with db.transaction() as tx:
        root_history.record_disable(tx, 'i1')
    assert not db.read(root_history.is_enabled, 'i1')
    assert not db.read(root_history.is_enabled, 'never-enabled')
