"""The private ``mariadbd`` of a MariaDB/MySQL guest: its files made from
the image's template datadir, its option file, its start and stop, and the
connections the agent administers it over (its unix socket, as
``os_admin``)."""

import configparser
import contextlib
import json
import logging
import os
import pwd
import socket
import stat
import subprocess
import threading
import time

import pymysql

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.datastore import mysql_config
from trove_lite.guestagent import durable
from trove_lite.guestagent.datastore import mysql_admin
from trove_lite.guestagent.datastore import mysql_sql as sql

LOG = logging.getLogger(__name__)

ADMIN_USER = 'os_admin'

# Errors of a SET GLOBAL the server would accept only at a start: a
# read-only variable (1238), or one its start-up value locks
# (max_user_connections=0: 1290).
_NEEDS_RESTART = (1238, 1290)

# The unix user the server runs as when the agent is root (in a VM): the
# one the distribution's packages make. A local guest's agent is never
# root; its server runs as the agent's own user.
SERVER_OS_USER = 'mysql'


def _make_private_dir(path, owner=None):
    """Create ``path`` for this user only, or for ``owner`` ((uid, gid)
    of the server's user when the agent is root). Under /tmp anyone could
    have made it first, or put a symlink there: refuse what is not a
    directory of ours."""
    try:
        os.makedirs(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (
            os.geteuid(), owner[0] if owner else None):
        raise exceptions.DatastoreOperationError(
            reason=f'{path} is not a directory of this user')
    if owner is not None and (info.st_uid, info.st_gid) != owner:
        os.chown(path, *owner, follow_symlinks=False)
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700, follow_symlinks=False)


def _server_owner():
    """(uid, gid) the server runs as when the agent is root; None when
    it runs as the agent's own user."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        raise exceptions.DatastoreOperationError(
            reason=f'the agent runs as root and there is no '
                   f'{SERVER_OS_USER} user to run the server as') from None
    return entry.pw_uid, entry.pw_gid


# Seconds the agent waits for word from a starting server before it
# probes the server's socket itself.
NOTIFY_SILENCE = 0.5


class _NotifySocket:
    """A datagram socket at ``path`` a starting server sends its state to
    (sd_notify's protocol), for the server's user (``owner``, or the
    agent's own when None); removed on exit."""

    def __init__(self, path, owner):
        self.path = path
        self.owner = owner
        self._socket = None

    def __enter__(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(self.path)
        if self.owner is not None:
            os.chown(self.path, *self.owner)
        return self

    def wait(self, seconds):
        """Until the server says something, or ``seconds`` passed."""
        self._socket.settimeout(seconds)
        with contextlib.suppress(TimeoutError):
            self._socket.recv(4096)

    def __exit__(self, *_exc):
        self._socket.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class MariaDBServer:
    """Starts, stops and connects to the guest's own server process."""

    def __init__(self, sandbox_path, mount_point, bind_address, port,
                 mariadbd_path, server_id=None):
        self.datadir = mount_point
        self.server_id = server_id
        self.bind_address = bind_address
        self.port = port
        self.mariadbd_path = mariadbd_path
        self.run_dir = mysql_config.run_dir_for(sandbox_path)
        self.log_dir = os.path.join(sandbox_path, 'log')
        # The only directory file statements (INTO OUTFILE, LOAD DATA,
        # LOAD_FILE) may use: secure_file_priv.
        self.files_dir = os.path.join(sandbox_path, 'files')
        self.options_file = os.path.join(sandbox_path, 'my.cnf')
        # What the option file is rendered from: the flavor's RAM and the
        # configuration group's overrides.
        self.settings_file = os.path.join(sandbox_path, 'settings.json')
        self.admin_file = os.path.join(sandbox_path, 'os_admin.cnf')
        self.socket = os.path.join(self.run_dir, 'mysqld.sock')
        self.process = None
        self._settings_lock = threading.Lock()
        # The switches of the logs turned on (mysql_logs sets it).
        self.enabled_logs = tuple
        # Whether it takes writes as a replication source may (the
        # manager sets it from its replication role).
        self.is_source = lambda: True

    @property
    def is_initialised(self):
        return os.path.isdir(os.path.join(self.datadir, 'mysql'))

    def give_datadir_to_server(self):
        """Make everything in the datadir the server's own (after the
        agent, as root, put files into it)."""
        owner = _server_owner()
        if owner is not None:
            subprocess.run(['chown', '-R', '--no-dereference',
                            f'{owner[0]}:{owner[1]}', self.datadir],
                           check=True, capture_output=True)

    def _make_dirs(self):
        """The server's directories, its own user's only."""
        owner = _server_owner()
        for path in (self.run_dir, self.log_dir, self.files_dir):
            _make_private_dir(path, owner)
        if owner is not None and os.stat(self.datadir).st_uid != owner[0]:
            self.give_datadir_to_server()
        # The copy of the template gives the datadir the template's mode.
        if os.stat(self.datadir).st_mode & 0o777 != 0o700:
            os.chmod(self.datadir, 0o700)

    def install(self, template_datadir, memory_mb):
        """Copy the template datadir into the volume (unless there is no
        template: a backup's data comes instead) and write the options
        file for this flavor."""
        if template_datadir and not self.is_initialised:
            # cp copies 3x faster than shutil.copytree here, and shares
            # blocks with the template where the filesystem can.
            subprocess.run(['cp', '-a', '--reflink=auto',
                            f'{template_datadir}/.', self.datadir],
                           check=True, capture_output=True)
            # On disk before the server runs from it: a VM that loses
            # power minutes later must not find empty table definitions.
            durable.sync_tree(self.datadir)
        self._make_dirs()
        self.write_options(memory_mb=memory_mb)

    def settings_inputs(self):
        """(memory_mb, overrides) the option file was rendered from."""
        try:
            with open(self.settings_file) as inputs:
                kept = json.load(inputs)
        except FileNotFoundError:
            return 0, {}
        return kept['memory_mb'], kept['overrides']

    def write_options(self, memory_mb=None, overrides=None):
        """Render the option file (``mysql_config.server_settings``) for
        the flavor's RAM and the configuration group's overrides; None
        keeps the current one. Returns (memory_mb, overrides) written."""
        with self._settings_lock:
            current_memory, current_overrides = self.settings_inputs()
            memory_mb = current_memory if memory_mb is None else memory_mb
            overrides = current_overrides if overrides is None \
                else overrides
            try:
                mysql_config.check_overrides(overrides)
                settings = mysql_config.server_settings(
                    self.datadir, self.run_dir, self.log_dir,
                    self.files_dir, self.bind_address, self.port,
                    memory_mb, overrides,
                    os_user=SERVER_OS_USER if _server_owner() else None,
                    server_id=self.server_id,
                    enabled_logs=self.enabled_logs(),
                    source=self.is_source())
            except ValueError as error:
                raise exceptions.DatastoreOperationError(
                    reason=str(error)) from None
            durable.write_private(self.settings_file, json.dumps(
                {'memory_mb': memory_mb, 'overrides': overrides}))
            durable.write_private(self.options_file,
                                  mysql_config.render(settings))
        return memory_mb, overrides

    def apply_memory(self, connection, memory_mb, overrides=None):
        """Size the running server for the flavor's RAM: set the dynamic
        variables now, and write them (with ``overrides``, the
        configuration group's values) for every later start."""
        overrides = overrides or {}
        self.write_options(memory_mb, overrides)
        self._set_memory(connection, memory_mb, overrides)

    def resize_memory(self, connection, memory_mb):
        """Like ``apply_memory`` for a server already set up: its
        configuration group's values stay."""
        _memory, overrides = self.write_options(memory_mb=memory_mb)
        self._set_memory(connection, memory_mb, overrides)

    def _set_memory(self, connection, memory_mb, overrides):
        """Set the flavor's memory settings live, except those the
        configuration group sets."""
        cursor = connection.cursor()
        for name, value in mysql_config.memory_settings(memory_mb).items():
            if name not in overrides:
                cursor.execute(*sql.set_global(name, mysql_config.to_bytes(
                    value)))

    def apply_live(self, connection, changes):
        """Set the variables ``changes`` names to their values now (None:
        back to the instance's default, its base or flavor setting or the
        server's own); returns the names the server takes only at a start.
        In name order, so a character set is set before a collation. A
        server that is no source keeps the source-only settings its role
        gives it."""
        memory_mb, _overrides = self.settings_inputs()
        cursor = connection.cursor()
        needs_restart = []
        for name in sorted(changes):
            value = mysql_config.for_role(
                {name: changes[name]}, self.is_source())[name]
            if value is None:
                value = mysql_config.default_value(name, memory_mb)
            statement = (sql.set_global_default(name) if value is None else
                         sql.set_global(name, mysql_config.sql_value(value)))
            try:
                cursor.execute(*statement)
            except pymysql.err.MySQLError as error:
                if error.args[0] in _NEEDS_RESTART:
                    needs_restart.append(name)
                    continue
                raise exceptions.DatastoreOperationError(
                    reason=f'setting {name}: {error.args[-1]}') from None
        return needs_restart

    def apply_role(self, connection):
        """Take the settings of the server's replication role (is_source)
        now and from every start."""
        _memory, overrides = self.write_options()
        self.apply_live(connection, {
            name: overrides.get(name)
            for name in mysql_config.SOURCE_ONLY_SETTINGS})

    def start(self, timeout, init_statements=None):
        """Start the server and wait until it accepts connections. The
        server runs ``init_statements`` (SQL text) before it accepts any
        connection; the file holding them is gone once it does."""
        if self.is_running():
            return
        self._make_dirs()
        command = [self.mariadbd_path, f'--defaults-file={self.options_file}']
        init_file = None
        if init_statements:
            init_file = os.path.join(self.run_dir, 'init.sql')
            durable.write_private(init_file, init_statements)
            owner = _server_owner()
            if owner is not None:
                os.chown(init_file, *owner)
            command.append(f'--init-file={init_file}')
        try:
            self._start(command, timeout)
        finally:
            if init_file is not None:
                os.unlink(init_file)

    def _start(self, command, timeout):
        """Run ``command`` and wait until the server takes connections.

        mariadbd tells a notify socket (``NOTIFY_SOCKET``, as it tells
        systemd) ``READY=1`` once it has run its init file and takes
        connections, so the agent sleeps on that socket, and learns of
        the start the moment it happens, rather than probing the server's
        socket every few milliseconds for as long as a slow start lasts.
        A server that says nothing (built without systemd support) is
        probed every NOTIFY_SILENCE seconds."""
        with _NotifySocket(os.path.join(self.run_dir, 'notify.sock'),
                           _server_owner()) as notify:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, close_fds=True,
                env={**os.environ, 'NOTIFY_SOCKET': notify.path})
            deadline = time.monotonic() + timeout
            while True:
                if self.process.poll() is not None:
                    raise exceptions.DatastoreOperationError(
                        reason=f'mariadbd exited with '
                               f'{self.process.returncode}; see '
                               f'{self.log_dir}/mysqld.err')
                if self.is_running():
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise exceptions.DatastoreOperationError(
                        reason=f'mariadbd did not start in {timeout} s')
                notify.wait(min(remaining, NOTIFY_SILENCE))

    def stop(self, timeout):
        """Stop the server cleanly (SIGTERM), then wait for it."""
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return
            if not os.path.exists(f'/proc/{pid}'):
                return
            time.sleep(0.01)
        os.kill(pid, 9)

    def _pid(self):
        if self.process is not None and self.process.poll() is None:
            return self.process.pid
        try:
            with open(os.path.join(self.run_dir, 'mysqld.pid')) as pid_file:
                return int(pid_file.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def is_running(self):
        """Whether the server answers on its socket: it greets every new
        connection, so reading the greeting needs no account (and logs
        no failed login)."""
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1)
        try:
            probe.connect(self.socket)
            return bool(probe.recv(1))
        except OSError:
            return False
        finally:
            probe.close()

    def is_healthy(self):
        """Whether the agent can log in and run a query."""
        try:
            with self.admin_connection() as connection:
                connection.cursor().execute('SELECT 1')
        except (pymysql.err.Error, OSError, configparser.Error):
            return False
        return True

    def connect(self, user='root', password=''):
        # No TLS over a local socket; PyMySQL would otherwise build an SSL
        # context (50 ms of CA loading) for every connection.
        # Bounded waits: a tenant can hold locks on its tables or stall
        # the server, and the agent must answer its callers within their
        # timeouts all the same.
        agent = CONF.guest_agent
        return pymysql.connect(
            unix_socket=self.socket, user=user, password=password,
            autocommit=True, connect_timeout=5, ssl_disabled=True,
            read_timeout=agent.sql_read_timeout,
            write_timeout=agent.sql_read_timeout,
            init_command=sql.session_lock_wait(agent.sql_lock_wait_timeout))

    def admin_connection(self):
        """A connection as the agent's own administrative account."""
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.admin_file)
        return self.connect(ADMIN_USER, parser.get('client', 'password'))

    def secure(self, connection):
        """Create ``os_admin`` with a fresh password the agent keeps, give
        root a random password nobody is told, and keep root local only."""
        admin_password = mysql_admin.generate_password()
        cursor = connection.cursor()
        cursor.execute(*sql.drop_user(ADMIN_USER, 'localhost'))
        cursor.execute(*sql.create_user(ADMIN_USER, 'localhost',
                                        admin_password))
        cursor.execute(*sql.grant_admin(ADMIN_USER, 'localhost'))
        cursor.execute(*sql.list_root_accounts())
        for user, host in cursor.fetchall():
            if host == 'localhost':
                cursor.execute(*sql.set_password(
                    user, host, mysql_admin.generate_password()))
            else:
                cursor.execute(*sql.drop_user(user, host))
        # Anonymous accounts would let anyone in (and show up as users).
        cursor.execute(*sql.list_anonymous_accounts())
        for user, host in cursor.fetchall():
            cursor.execute(*sql.drop_user(user, host))
        durable.write_private(self.admin_file,
                       f'[client]\nuser={ADMIN_USER}\n'
                       f'password={admin_password}\n')
