"""The clients people use, pointed at a test Stack: python-troveclient
through a keystoneauth1 session without Keystone, and the ``openstack``
and ``trove-lite`` commands run as processes."""

import dataclasses
import json
import os
import shlex
import subprocess
import sys
import warnings

from keystoneauth1 import noauth
from keystoneauth1 import session as ksa_session

with warnings.catch_warnings():
    # troveclient imports eventlet, which warns that it is deprecated.
    warnings.simplefilter('ignore')
    from troveclient.apiclient import exceptions as trove_exceptions
    from troveclient.v1 import client as trove_client

__all__ = ['trove_exceptions', 'troveclient', 'trove_lite', 'openstack']

COMMAND_TIMEOUT = 300


def troveclient(stack, project):
    """``troveclient.v1.client.Client`` on a noauth session whose
    endpoint is the project's URL."""
    session = ksa_session.Session(
        auth=noauth.NoAuth(endpoint=stack.project_url(project)))
    return trove_client.Client(session=session)


@dataclasses.dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def console_script(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def environment(**values):
    """This environment without OS_*/TROVE_LITE_* (a developer's openrc
    must not leak into the test), plus ``values``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'TROVE_LITE_'))}
    env.update(values)
    return env


def _run(argv, env, timeout=COMMAND_TIMEOUT):
    completed = subprocess.run(argv, env=env, capture_output=True,
                               text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
    return Result(completed.returncode, completed.stdout, completed.stderr)


def trove_lite(stack, project, *args, timeout=COMMAND_TIMEOUT):
    """``trove-lite args...`` with TROVE_LITE_URL and OS_PROJECT_ID."""
    return _run([console_script('trove-lite'), *args], environment(
        TROVE_LITE_URL=stack.url, OS_PROJECT_ID=project), timeout)


def openstack(stack, project, *args):
    """``openstack args...`` without Keystone: auth type ``none`` and the
    project's endpoint (the invocation the README documents)."""
    return _run([console_script('openstack'), '--os-auth-type', 'none',
                 '--os-endpoint', stack.project_url(project), *args],
                environment())


def openstack_from_environment(stack, project, *args):
    """The same through OS_AUTH_TYPE and OS_ENDPOINT."""
    return _run([console_script('openstack'), *args], environment(
        OS_AUTH_TYPE='none', OS_ENDPOINT=stack.project_url(project)))


def run_connect_line(line, password, sql):
    """Runs the ``mariadb`` command line ``instance connect`` printed,
    giving the password (the printed line asks for it with ``-p``)."""
    words = shlex.split(line)
    assert words[0] == 'mariadb' and '-p' in words, line
    words[words.index('-p')] = f'-p{password}'
    return subprocess.run([*words, '--batch', '--skip-column-names',
                           '-e', sql], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
