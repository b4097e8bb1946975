"""Storage grants: what a guest may do in its project's backup storage,
for one job.

A guest holds neither the storage's credentials nor backup_aes_cbc_key:
with every job that touches the storage (a backup, a restore, the binlog
archive, a log publish) the control plane sends it a grant, a dict::

    {"project_id": ..., "expires": <epoch seconds>,
     "key": <the project's encryption key, base64, or "">,
     "url": <swift: the account's storage URL>,
     "scopes": [{"container": ..., "prefix": <object name prefix>,
                 "methods": [...],
                 "signatures": {<container>: {<method>: <HMAC>}, ...}}]}

The key is the project's own (codec.project_key), so a guest decrypts no
other project's objects. On the swift strategy a scope is signed as a
prefix-based temporary URL (Swift's tempurl middleware) for the objects
``<container>/<project>/<prefix>*`` and their segments: the guest can do
nothing else in the account -- no listing, no other project, no other
backup of its own project than the job's. On the local strategy the
guest's filesystem access (one project's directory) is the boundary and
the scopes are not signed.

The temporary URL key is the project account's
``X-Account-Meta-Temp-URL-Key``, derived from the [swift] password and the
account, so every control-plane process sets and signs with the same
one.
"""

import base64
import hashlib
import hmac
import threading
import time
import urllib.parse

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.storage import base
from trove_lite.storage import codec

READ = ('GET',)
WRITE = ('GET', 'PUT', 'DELETE')
TEMP_URL_KEY_HEADER = 'x-account-meta-temp-url-key'

_signers = {}
_signers_lock = threading.Lock()


def make(project_id, scopes, conf=None):
    """A grant for ``project_id`` over ``scopes``, (container, name
    prefix, methods) each, valid for storage_grant_lifetime seconds.
    Containers written to are made first (a guest cannot make them)."""
    conf = conf or CONF
    base.check_project(project_id)
    key = codec.project_key(conf.backup_aes_cbc_key, project_id)
    grant = {'project_id': project_id,
             'expires': int(time.time()) + conf.storage_grant_lifetime,
             'key': base64.b64encode(key).decode() if key else '',
             'scopes': []}
    signer = None
    if conf.storage_strategy == 'swift':
        signer = _signer(conf).for_project(project_id)
        grant['url'] = signer.url
    for container, prefix, methods in scopes:
        base.check_container(container)
        base.check_prefix(prefix)
        scope = {'container': container, 'prefix': prefix,
                 'methods': sorted(set(methods))}
        if signer is not None:
            if 'PUT' in methods:
                signer.ensure_containers(container)
            scope['signatures'] = signer.sign(container, prefix, methods,
                                              grant['expires'])
        grant['scopes'].append(scope)
    return grant


def for_names(project_id, container, names, methods):
    """A grant over the objects ``names`` of ``container`` (each name
    taken as a prefix: an object's segments lie under it)."""
    return make(project_id, [(container, name, methods) for name in names])


def _signer(conf):
    """The process's Swift signer."""
    cache_key = (conf.swift.auth_url, conf.swift.username,
                 conf.swift.project_id or conf.swift.project_name)
    with _signers_lock:
        signer = _signers.get(cache_key)
        if signer is None:
            signer = _signers[cache_key] = _SwiftSigner(conf)
        return signer


class _SwiftSigner:
    """Signs for the accounts of projects; sets each account's key (and
    makes its containers) once."""

    def __init__(self, conf):
        if not conf.swift.password:
            raise exceptions.StorageError(
                reason='[swift] password is not set: guests cannot be '
                       'given temporary URLs')
        self.conf = conf
        self._secret = conf.swift.password.encode()
        self._accounts = {}
        self._lock = threading.Lock()

    def for_project(self, project_id):
        with self._lock:
            account = self._accounts.get(project_id)
            if account is None:
                account = _Account(self.conf, project_id, self._secret)
                self._accounts[project_id] = account
            return account


class _Account:
    """A project's account: its temporary URL key, set on first use."""

    def __init__(self, conf, project_id, secret):
        from trove_lite.storage import swift
        from trove_lite.storage import swift_connection
        self.project_id = project_id
        self._containers = set()
        self._lock = threading.Lock()
        try:
            self._connection = swift_connection.connect(conf, project_id)
            self.url = self._connection.get_auth()[0].rstrip('/')
            self._key = hmac.new(secret, b'trove-lite temp url key ' +
                                 self.url.encode(),
                                 hashlib.sha256).hexdigest()
            headers = self._connection.head_account()
            if headers.get(TEMP_URL_KEY_HEADER) != self._key:
                self._connection.post_account({TEMP_URL_KEY_HEADER:
                                               self._key})
        except swift.SWIFT_ERRORS as e:
            raise swift.failure(e, 'setting the temporary URL key') from e
        self._path = urllib.parse.urlsplit(self.url).path

    def ensure_containers(self, container):
        from trove_lite.storage import swift
        with self._lock:
            if container in self._containers:
                return
            try:
                for each in (container, container + base.SEGMENTS_SUFFIX):
                    self._connection.put_container(each)
            except swift.SWIFT_ERRORS as e:
                raise swift.failure(e, f'creating {container}') from e
            self._containers.add(container)

    def sign(self, container, prefix, methods, expires):
        """{container: {method: signature}} for the object and the
        segments containers."""
        signatures = {}
        for each in (container, container + base.SEGMENTS_SUFFIX):
            path = (f'prefix:{self._path}/{each}/{self.project_id}/'
                    f'{prefix}')
            signatures[each] = {
                method: hmac.new(self._key.encode(),
                                 f'{method}\n{expires}\n{path}'.encode(),
                                 hashlib.sha256).hexdigest()
                for method in methods}
        return signatures


def binlog_archive_prefix(instance_id):
    """Where the binlog archive of an instance lies in its project's
    space (mysql_binlog)."""
    return f'binlogs/{instance_id}/'


def for_binlog_archive(project_id, container, instance_id, methods=WRITE):
    """A grant over the binlog archive of ``instance_id``: to keep it
    (its guest), or to read it (a point-in-time restore)."""
    return make(project_id, [(container, binlog_archive_prefix(instance_id),
                              methods)])


def for_restore(backup_info):
    """``backup_info`` (instance.restore) with a grant to read its chain
    and the binlog archive it replays."""
    from trove_lite import storage
    project_id = backup_info['project_id']
    store = storage.get_storage(project_id)
    scopes = [(*store.split(item['location']), READ)
              for item in backup_info['chain']]
    point = backup_info.get('binlog')
    if point:
        scopes.append((point['container'],
                       binlog_archive_prefix(point['instance_id']), READ))
    return dict(backup_info, storage=make(project_id, scopes))


def published_logs_prefix(instance_id):
    """Where the database logs an instance publishes lie in the log
    container of its project's space (mysql_logs)."""
    return f'{instance_id}/'


def for_published_logs(project_id, instance_id):
    """A grant to publish and discard the database logs of
    ``instance_id``."""
    return make(project_id, [(CONF.guest_log_container_name,
                              published_logs_prefix(instance_id), WRITE)])
