"""Pecan hooks: the request context, and errors as Trove fault bodies."""

import pecan

from trove_lite.api import faults
from trove_lite.common import context as trove_context
from trove_lite.common import exceptions

API_PREFIX = '/v1.0/'


def _project_in_path(path):
    """The project id of a ``/v1.0/{project_id}/...`` path, or None."""
    if not path.startswith(API_PREFIX):
        return None
    return path[len(API_PREFIX):].split('/', 1)[0] or None


class ContextHook(pecan.hooks.PecanHook):
    """Builds ``request.context`` from the identity headers (set by
    keystonemiddleware in keystone mode) and the URL's project."""

    def on_route(self, state):
        request = state.request
        headers = request.headers
        url_project = _project_in_path(request.path_info)
        header_project = (headers.get('X-Project-Id')
                          or headers.get('X-Tenant-Id'))
        if url_project and header_project and header_project != url_project:
            raise exceptions.ProjectMismatch(project_id=header_project)
        roles = [role.strip() for role in
                 (headers.get('X-Roles') or headers.get('X-Role') or '')
                 .split(',') if role.strip()]
        request.context = trove_context.RequestContext(
            project_id=header_project or url_project,
            user_id=headers.get('X-User-Id'),
            roles=roles,
            is_admin='admin' in roles,
            request_id=request.environ.get('openstack.request_id'),
            limit=request.GET.get('limit'),
            marker=request.GET.get('marker'),
            overwrite=False)


class FaultHook(pecan.hooks.PecanHook):
    """Any exception from a controller becomes a Trove fault response."""

    def on_error(self, state, error):
        return faults.from_exception(
            error, state.request.environ.get('openstack.request_id'))
