"""Local "images": a pre-initialised datadir per datastore version, made
once, plus the command that boots a guest agent.

In a cloud the image carries the database and the agent; here the template
datadir is the part that is costly to make (about a second), so it is made
once and copied (about 0.03 s) for every new server.
"""

import fcntl
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.datastore import mysql_config

DEFAULT_IMAGE = 'trove-lite-guest'


def is_builtin(image_id):
    """Whether ``image_id`` is the built-in trove-lite guest image (booted
    by the guest launcher)."""
    return image_id in (None, '', DEFAULT_IMAGE)


def guest_command(image_id, config_file):
    """The command that boots a server of a configured extra image."""
    template = CONF.local_compute.guest_images.get(image_id)
    if template is None:
        raise exceptions.ServerBuildError(
            reason=f'image {image_id} is not known to the local driver')
    return [part.format(config_file=config_file, python=sys.executable)
            for part in shlex.split(template)]


def template_datadir(datastore_version, builder=(None, None)):
    """The template datadir for a datastore version, made on first use,
    by ``builder`` ((uid, gid) of a guest user; None: this process's
    user), never by root: the database's bootstrap runs as that user.

    A file lock serialises makers (threads and processes); the datadir is
    made in a scratch folder and renamed into place, so a half-made
    template is never used. A finished template is root's and readable
    by every guest, like an image: it holds no secret.
    """
    images = os.path.join(CONF.local_compute.state_path, 'images')
    os.makedirs(images, exist_ok=True)
    target = os.path.join(images, f'{datastore_version}.datadir')
    if os.path.isdir(target):
        return target
    with open(os.path.join(images, f'{datastore_version}.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(target):
            return target
        scratch = tempfile.mkdtemp(prefix='template-', dir=images)
        try:
            _install_db(scratch, builder)
            _publish(os.path.join(scratch, 'datadir'))
            os.rename(os.path.join(scratch, 'datadir'), target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _install_db(scratch, builder):
    options_file = os.path.join(scratch, 'my.cnf')
    with open(options_file, 'w') as options:
        options.write(mysql_config.render(mysql_config.template_settings()))
    command = [CONF.local_compute.install_db_path,
               f'--defaults-file={options_file}',
               '--auth-root-authentication-method=normal', '--skip-test-db',
               f'--datadir={os.path.join(scratch, "datadir")}']
    as_user = {}
    uid, gid = builder
    if uid is not None:
        os.chown(scratch, uid, gid)
        os.chown(options_file, uid, gid)
        as_user = {'user': uid, 'group': gid, 'extra_groups': [],
                   'env': {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                           'HOME': scratch}}
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=300, check=False, cwd=scratch,
                            **as_user)
    if result.returncode != 0:
        raise exceptions.ServerBuildError(
            reason='could not initialise the image datadir: '
                   + result.stderr.strip()[-500:])


def _publish(datadir):
    """Make a finished template root's (when this is root) and readable,
    not writable, by everyone."""
    for folder, _dirs, files in os.walk(datadir):
        for path in [folder] + [os.path.join(folder, name)
                                for name in files]:
            if os.geteuid() == 0:
                os.chown(path, 0, 0, follow_symlinks=False)
            os.chmod(path, 0o755 if path == folder else 0o644,
                     follow_symlinks=False)
