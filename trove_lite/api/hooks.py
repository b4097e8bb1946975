"""Pecan hooks: the request context, rate limits, and errors as Trove
fault bodies."""

import pecan

from trove_lite.api import faults
from trove_lite.api import ratelimit
from trove_lite.common import context as trove_context
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.conf import CONF

API_PREFIX = '/v1.0/'

# The width of every tenant_id column (Trove's too).
MAX_PROJECT_ID_LENGTH = 36


def split_project_path(path):
    """``(project_id, rest)`` of a ``/v1.0/{project_id}/rest`` path, or
    ``(None, path)`` for the version documents (``/``, ``/v1.0/``).

    Any other path under ``/v1.0/`` names a project: an empty one
    (``/v1.0//instances``) is no route (404, as in Trove), one longer
    than a project id can be is a bad request; neither is ever read as
    "no project"."""
    if not path.startswith(API_PREFIX) or path == API_PREFIX:
        return None, path
    project, _, rest = path[len(API_PREFIX):].partition('/')
    if not project:
        raise exceptions.NotFound(uuid=path)
    if len(project) > MAX_PROJECT_ID_LENGTH:
        raise exceptions.BadRequest(
            f'A project id has at most {MAX_PROJECT_ID_LENGTH} characters.')
    return project, '/' + rest


class ContextHook(pecan.hooks.PecanHook):
    """Builds ``request.context`` from the identity headers and checks
    that the URL's project is the caller's.

    With ``auth_strategy = keystone`` the headers are those keystonemiddleware
    set from the validated token (it strips any the client sent), so the
    project is the token's: a token without a project, or for another
    project, gets Trove's 403. With ``noauth`` the headers are the client's
    own and the project defaults to the URL's.
    """

    def on_route(self, state):
        request = state.request
        url_project, _ = split_project_path(request.path_info)
        context = trove_context.RequestContext.from_environ(
            request.environ,
            limit=request.GET.get('limit'),
            marker=request.GET.get('marker'),
            overwrite=False)
        if context.project_id is None and CONF.auth_strategy == 'noauth':
            context.project_id = url_project
        if url_project is not None and context.project_id != url_project:
            raise exceptions.ProjectMismatch(project_id=context.project_id)
        context.is_admin = policy.check_is_admin(context)
        request.context = context


class RateLimitHook(pecan.hooks.PecanHook):
    """Counts each project request against the project's rate limits
    (after the context hook, so only the caller's own project counts)."""

    def on_route(self, state):
        request = state.request
        project, path = split_project_path(request.path_info)
        if project is None:
            return
        ratelimit.get_limiter().check(project, request.method, path)


class FaultHook(pecan.hooks.PecanHook):
    """Any exception from a controller becomes a Trove fault response."""

    def on_error(self, state, error):
        return faults.from_exception(
            error, state.request.environ.get('openstack.request_id'))
