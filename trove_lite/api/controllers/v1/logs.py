"""``/instances/{id}/log``: the database logs of an instance (Trove's guest
logs): list them, show one, enable, disable, publish or discard it."""

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import logs as views
from trove_lite.instance import logs as logs_api

RULE = 'instance:guest_log_list'


class LogsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, instance_id):
        record = base.authorized_instance(instance_id, RULE)
        return {'logs': [views.log(item) for item in
                         logs_api.list_logs(base.context(), record)]}

    @pecan.expose('json')
    def post(self, instance_id):
        name, action = validation.log_action(base.json_body())
        record = base.authorized_instance(instance_id, RULE)
        return {'log': views.log(logs_api.act(base.context(), record, name,
                                              action))}
