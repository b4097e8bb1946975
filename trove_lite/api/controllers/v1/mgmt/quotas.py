"""``/mgmt/quotas/{project}``: show and set a project's quotas.

As in Trove these calls are guarded by the admin flag of the context
(policy ``context_is_admin``) rather than rules of their own: anyone may
see their own project's quotas, only admins another project's (else 403),
and only admins may set them (else 401).
"""

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import quotas as views
from trove_lite.common import exceptions
from trove_lite.quota import api as quota


def parse_update(body):
    """The limits a PUT sets, {resource: limit}. Items are checked in
    order as Trove checks them; ``null`` ones are skipped."""
    if not body:
        raise exceptions.BadRequest('Invalid request body.')
    limits = {}
    for resource, limit in validation.body_object(body, 'quotas').items():
        if limit is None:
            continue
        if isinstance(limit, bool) or not isinstance(limit, int):
            validation.fail(f"quotas['{resource}']",
                            f"{limit!r} is not of type 'integer'")
        quota.check_limit(resource, limit)
        limits[resource] = limit
    return limits


class QuotasController(rest.RestController):

    @pecan.expose('json')
    def get_one(self, project_id):
        context = base.context()
        if project_id != context.project_id and not context.is_admin:
            raise exceptions.OperationNotAllowedForProject(
                tenant_id=context.project_id)
        return views.quota_usages(quota.get_usages(project_id))

    @pecan.expose('json')
    def put(self, project_id):
        if not base.context().is_admin:
            raise exceptions.Unauthorized()
        limits = parse_update(base.json_body())
        quota.set_limits(project_id, limits)
        return views.quota_limits(limits)
