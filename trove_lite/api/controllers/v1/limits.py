"""``/limits``: the project's quota limits and rate limits."""

import pecan
from pecan import rest

from trove_lite.api import ratelimit
from trove_lite.api.controllers import base
from trove_lite.api.views import quotas as views
from trove_lite.common import policy
from trove_lite.quota import api as quota


class LimitsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self):
        context = base.context()
        policy.authorize(context, 'limits:index')
        return views.limits(
            quota.get_limits(context.project_id),
            ratelimit.get_limiter().status(context.project_id))
