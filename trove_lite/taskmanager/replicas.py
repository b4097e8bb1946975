"""Replicas on the taskmanager's side: the snapshot of its source a new
replica is built from, and detaching a replica.

A new replica gets a replication account of its own on its source, with
a password made here: the source's guest is told its hash only, the
replica's guest the password, inside its prepare request sealed with the
replica's key. The snapshot is a backup of the source (a row of the
backup machinery, visible while it lives) deleted once the replica is
built, whether the build succeeded or not.
"""

import hashlib
import logging
import secrets

from trove_lite import db
from trove_lite.backup import api as backup_api
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.datastore import mysql_rules
from trove_lite.db.repositories import backups as backup_rows
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replicas
from trove_lite.instance import keys
from trove_lite.instance import restore
from trove_lite.records.backup import BackupState
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.taskmanager import backups

LOG = logging.getLogger(__name__)


def replication_user(replica_id):
    """The name of a replica's account on its source."""
    return mysql_rules.REPLICATION_USER_PREFIX + replica_id.replace(
        '-', '')[:8]


def password_hash(password):
    """MariaDB's mysql_native_password hash of ``password``: what an
    account is made ``IDENTIFIED BY PASSWORD`` with. It does not log in
    by itself (the login proves knowledge of SHA1(password))."""
    inner = hashlib.sha1(password.encode()).digest()
    return '*' + hashlib.sha1(inner).hexdigest().upper()


def guest_of(instance_id):
    return guest_rpcapi.API(instance_id, keys.key_of(instance_id))


def master_address(source):
    """Where replicas reach ``source``'s server: its address as the
    compute driver recorded it (never what its guest says)."""
    addresses = source.addresses or []
    if not addresses:
        raise exceptions.DatastoreOperationError(
            reason=f'the replication source {source.id} has no address')
    return {'host': addresses[0]['address'],
            'port': getattr(CONF, source.datastore_manager).port}


class Snapshot:
    """What a replica is built from: ``backup_id`` (to delete once it is
    built), ``backup_info`` (the restore of InstanceSpec.backup_info) and
    ``replica_info`` (PrepareRequest.snapshot, with the password)."""

    def __init__(self, backup_id, backup_info, replica_info):
        self.backup_id = backup_id
        self.backup_info = backup_info
        self.replica_info = replica_info


def take_snapshot(context, claims, spec):
    """Snapshot the source of the replica ``spec`` (an InstanceSpec) for
    it, holding the source's claim (replicas of one source take their
    snapshots one at a time); returns a Snapshot."""
    source_id = spec.replica_of
    password = secrets.token_urlsafe(24)
    with claims.acquire(source_id, 'replication snapshot',
                        wait=CONF.agent_replication_snapshot_timeout):
        source = db.read(instances.get, source_id)
        backup = backup_api.create(context, backup_api.CreateRequest(
            name=f'Replication snapshot for {spec.instance_id}',
            description=f'Replica {spec.instance_id} is built from it.',
            instance_id=source_id), send=False)
        try:
            dataset = _write_snapshot(context, source, backup,
                                      spec.instance_id, password)
            if not backup_api.end(
                    context, backup.id, BackupState.COMPLETED,
                    publisher=backups.PUBLISHER, size=dataset['size'],
                    checksum=dataset['checksum'], lsn=dataset['lsn']):
                raise exceptions.DatastoreOperationError(
                    reason='the snapshot was ended meanwhile')
        except Exception as error:
            backup_api.end(context, backup.id, BackupState.FAILED,
                           publisher=backups.PUBLISHER,
                           fault=f'The replication snapshot failed: '
                                 f'{error}'[:255])
            delete_snapshot(context, backup.id, None)
            raise
    master = dict(master_address(source),
                  user=replication_user(spec.instance_id),
                  password=password)
    version = catalogue_api.get_version(spec.datastore_version_id)
    return Snapshot(backup.id, restore.restore_info(
        context, backup.id, version, spec.volume_size),
        {'master': master, 'snapshot_id': backup.id})


def _write_snapshot(context, source, backup, replica_id, password):
    info = backups.backup_info(backup, CONF.backup_swift_container)
    # BUILDING while the guest writes it (a call, so the guest reports no
    # progress of its own): the periodic check fails it only if the
    # source's guest goes silent.
    if info is None or not backup_api.mark_building(backup.id):
        raise exceptions.DatastoreOperationError(
            reason='the snapshot was ended meanwhile')
    return guest_of(source.id).get_replication_snapshot(context, {
        'backup_info': info,
        'replication_user': {'name': replication_user(replica_id),
                             'password_hash': password_hash(password)}}
    )['dataset']


def delete_snapshot(context, backup_id, driver):
    """Delete a replica's snapshot (the build is over): its row, its
    quota, its stored object."""
    backup = db.read(backup_rows.find, backup_id)
    if backup is None:
        return
    try:
        backup_api.delete(context, backup)
        backups.remove_object(backup, driver)
    except Exception as error:
        LOG.warning('The replication snapshot %s could not be deleted: %s',
                    backup_id, error)


def detach(context, instance_id):
    """Detach the replica ``instance_id`` (task DETACHING): its guest
    stops replicating and accepts writes, its source drops its account,
    and it is a replica of nothing."""
    record = db.read(instances.find, instance_id)
    if record is None or record.task != InstanceTasks.DETACHING:
        LOG.warning('Detach of %s skipped: gone or no longer detaching',
                    instance_id)
        return
    try:
        guest_of(instance_id).detach_replica(context)
        with db.transaction() as tx:
            replicas.set_source(tx, instance_id, None)
        LOG.info('Replica %s detached from %s', instance_id,
                 record.slave_of_id)
    except Exception as error:
        LOG.warning('Detach of %s failed: %s', instance_id, error)
    finally:
        with db.transaction() as tx:
            instances.set_task_if(tx, instance_id,
                                  [InstanceTasks.DETACHING],
                                  InstanceTasks.NONE)
    forget_account(context, record.slave_of_id, instance_id)


def forget_account(context, source_id, replica_id):
    """Drop ``replica_id``'s account on its (former) source, if the source
    is there to answer."""
    if source_id is None or db.read(instances.find, source_id) is None:
        return
    try:
        guest_of(source_id).cleanup_source_on_replica_detach(
            context, {'user': replication_user(replica_id)})
    except Exception as error:
        LOG.warning('The replication account of %s on %s stays: %s',
                    replica_id, source_id, error)


def _set_members_task(member_ids, expected, task):
    with db.transaction() as tx:
        for member_id in member_ids:
            instances.set_task_if(tx, member_id, [expected], task)


def end_set_task(instance_id, task):
    """Clear ``task`` on the replica ``instance_id`` and every member of
    its set (a set action that could not run)."""
    record = db.read(instances.find, instance_id)
    if record is None or record.slave_of_id is None:
        return
    _set_members_task([record.slave_of_id] + db.read(
        replicas.replica_ids, record.slave_of_id), task, InstanceTasks.NONE)


def _make_source(context, source, followers):
    """Make ``source`` (a record) writable, the source of ``followers``
    (records): an account of its own on it for each, made from a fresh
    password the source sees only the hash of. Returns the passwords by
    follower id."""
    passwords = {f.id: secrets.token_urlsafe(24) for f in followers}
    guest_of(source.id).enable_as_master(context, {'replication_users': [
        {'name': replication_user(f.id),
         'password_hash': password_hash(passwords[f.id])}
        for f in followers]})
    return passwords


def _point(context, source, followers, passwords):
    """Re-point each of ``followers`` to ``source``, made their source by
    _make_source, and record the set so: a follower that cannot follow
    stays a member, read-only, with a fault saying so (detach or delete
    it); the others go on."""
    for follower in followers:
        try:
            guest_of(follower.id).attach_replica(context, {'master': dict(
                master_address(source), user=replication_user(follower.id),
                password=passwords[follower.id])})
        except Exception as error:
            LOG.warning('Instance %s does not follow the new source %s: %s',
                        follower.id, source.id, error)
            with db.transaction() as tx:
                instances.add_fault(
                    tx, follower.id, f'It does not replicate from its new '
                    f'source {source.id}: {error}'[:255])
    with db.transaction() as tx:
        replicas.set_source(tx, source.id, None)
        for follower in followers:
            replicas.set_source(tx, follower.id, source.id)


def _follow(context, source, followers):
    """Make ``source`` the source of ``followers`` (records)."""
    _point(context, source, followers,
           _make_source(context, source, followers))


def _switch_over(context, old, new, others, done):
    """The part of a promote that can be undone: the old source refuses
    writes, every replica applies what it logged last, ``new`` stops
    following it and becomes the writable source of the others and the
    old one. Returns the passwords of their accounts on ``new`` (for
    _point); appends each step to ``done`` as it starts (for
    _roll_back)."""
    old_guest = guest_of(old.id)
    done.append('read-only')
    old_guest.make_read_only(context, True)
    last = old_guest.get_latest_txn_id(context)
    for replica in [new] + others:
        guest_of(replica.id).wait_for_txn(context, last)
    done.append('detached')
    guest_of(new.id).detach_replica(context, for_failover=True)
    passwords = _make_source(context, new, [old] + others)
    LOG.info('Instance %s is the replication source instead of %s '
             '(at %s)', new.id, old.id, last)
    return passwords


def _roll_back(context, old, new, done):
    """Undo a promote that stopped after ``done`` (the steps _switch_over
    took): ``new`` follows ``old`` again if it had stopped (a fresh
    account for it; read-only again), and ``old`` accepts writes again
    (enable_as_master does both for it). Returns what it could not undo
    (None: all undone)."""
    try:
        if 'detached' in done:
            _follow(context, old, [new])
        elif 'read-only' in done:
            guest_of(old.id).make_read_only(context, False)
    except Exception as error:
        LOG.warning('Promote of %s could not be undone: %s', new.id, error,
                    exc_info=True)
        return str(error)
    return None


def promote(context, instance_id):
    """Trove's promote_to_replica_source, a planned switchover (every
    member of the set is PROMOTING): the source refuses writes, every
    replica applies what it logged last, the replica ``instance_id``
    becomes the source and the others, the old source included, follow
    it. No transaction the old source acknowledged is lost.

    Up to the new source accepting writes it is all or nothing: a step
    that fails is undone (the old source writable again, the replica
    following it again) and recorded as a fault of the replica. From
    then on it goes forward: a member that cannot follow shows a fault.
    The tasks end in every case."""
    new = db.read(instances.find, instance_id)
    if new is None or new.task != InstanceTasks.PROMOTING or \
            new.slave_of_id is None:
        LOG.warning('Promote of %s skipped: gone, no longer promoting or '
                    'no replica', instance_id)
        return
    old = db.read(instances.get, new.slave_of_id)
    others = [db.read(instances.get, member_id) for member_id in
              db.read(replicas.replica_ids, old.id)
              if member_id != instance_id]
    members = [new.id, old.id] + [other.id for other in others]
    done = []
    try:
        try:
            passwords = _switch_over(context, old, new, others, done)
        except Exception as error:
            LOG.warning('Promote of %s failed: %s', instance_id, error,
                        exc_info=True)
            left = _roll_back(context, old, new, done)
            outcome = (f'; {old.id} is the source still' if left is None
                       else f'; undoing it failed too: {left}')
            with db.transaction() as tx:
                instances.add_fault(
                    tx, instance_id,
                    f'Promote failed: {error}{outcome}'[:255])
            return
        _point(context, new, [old] + others, passwords)
        for member in [new] + others:
            forget_account(context, old.id, member.id)
    finally:
        _set_members_task(members, InstanceTasks.PROMOTING,
                          InstanceTasks.NONE)


def reach(position):
    """How far a GTID position (``domain-server-seq,...``) goes: the sum
    of its sequence numbers (the replicas of one source share its
    domains, so the one that applied more has the larger sum)."""
    total = 0
    for gtid in filter(None, (position or '').split(',')):
        total += int(gtid.strip().rsplit('-', 1)[1])
    return total


def _most_advanced(context, old_id, members, asked_on):
    """The member that applied most of the dead source ``old_id``, and
    the others that answer (the replica ``asked_on`` wins a tie)."""
    reached = {}
    for member in members:
        try:
            reached[member.id] = reach(
                guest_of(member.id).get_latest_txn_id(context))
        except Exception as error:
            LOG.warning('Replica %s does not answer; it stays with %s: %s',
                        member.id, old_id, error)
    if not reached:
        raise exceptions.DatastoreOperationError(reason='no replica answers')
    best = max((m for m in members if m.id in reached),
               key=lambda m: (reached[m.id], m.id == asked_on))
    LOG.info('Replica %s applied most of %s (%d)', best.id, old_id,
             reached[best.id])
    return best, [m for m in members if m.id in reached and m.id != best.id]


def eject(context, instance_id):
    """Trove's eject_replica_source: the source of ``instance_id``'s set
    stopped responding; the replica that applied most of it becomes the
    source, the others that answer follow it, and the old source leaves
    the set, told (a message that waits in its queue) to refuse writes
    for good should it come back.

    Until the new source accepts writes the set stays as it was (a fault
    on ``instance_id`` says why; the replica chosen may have stopped
    replicating from the dead source and stays read-only): the eject can
    be asked again, and the automatic failover asks at its next round.
    From then on it goes forward, as a promote does."""
    record = db.read(instances.find, instance_id)
    if record is None or record.task != InstanceTasks.EJECTING or \
            record.slave_of_id is None:
        LOG.warning('Eject asked on %s skipped: gone, no longer ejecting '
                    'or no replica', instance_id)
        return
    old_id = record.slave_of_id
    members = [db.read(instances.get, member_id) for member_id in
               db.read(replicas.replica_ids, old_id)]
    try:
        try:
            best, followers = _most_advanced(context, old_id, members,
                                             instance_id)
            guest_of(best.id).detach_replica(context, for_failover=True)
            passwords = _make_source(context, best, followers)
        except Exception as error:
            LOG.warning('Eject of %s failed: %s', old_id, error,
                        exc_info=True)
            with db.transaction() as tx:
                instances.add_fault(
                    tx, instance_id, f'Eject failed: {error}; the set is '
                    f'unchanged, ask again'[:255])
            return
        _point(context, best, followers, passwords)
        LOG.warning('The replication source %s was ejected; %s is the '
                    'source now', old_id, best.id)
        _fence(context, old_id)
    finally:
        _set_members_task([m.id for m in members], InstanceTasks.EJECTING,
                          InstanceTasks.NONE)


def _fence(context, old_id):
    """Tell the ejected source to refuse writes for good: a message that
    waits in its queue until its guest comes back."""
    try:
        guest_of(old_id).make_read_only(context, True, wait=False)
    except Exception as error:
        LOG.warning('The ejected source %s was not told to refuse writes: '
                    '%s', old_id, error)
        with db.transaction() as tx:
            instances.add_fault(
                tx, old_id, f'Ejected from its set, but not told to refuse '
                f'writes: {error}; delete it'[:255])
