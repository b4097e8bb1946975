"""``POST /instances/{id}/action``: the body's key selects the action
(``restart``, ``resize``, ``reset_status``, ``promote_to_replica_source``,
``eject_replica_source``); every action answers 202 with no body."""

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.common import exceptions
from trove_lite.instance import actions
from trove_lite.instance import replication


def _restart(context, instance_id, value):
    validation.require_object(value, 'restart')
    actions.restart(context, base.authorized_instance(
        instance_id, 'instance:restart'))


def _resize(context, instance_id, value):
    """Exactly one of ``volume`` and ``flavorRef``; ``volume`` decides
    when both are given, as in Trove."""
    validation.require_object(value, 'resize')
    if 'volume' in value:
        size, _type = validation.volume_size(value['volume'],
                                             "resize['volume']")
        actions.resize_volume(context, base.authorized_instance(
            instance_id, 'instance:resize_volume'), size)
    elif 'flavorRef' in value:
        flavor_ref = validation.reference(value['flavorRef'],
                                          "resize['flavorRef']")
        actions.resize_flavor(context, base.authorized_instance(
            instance_id, 'instance:resize_flavor'), flavor_ref)
    else:
        validation.fail('resize', "needs 'volume' or 'flavorRef'")


def _reset_status(context, instance_id, value):
    validation.require_object(value, 'reset_status')
    rule = ('instance:force_delete' if 'force_delete' in value
            else 'instance:reset_status')
    actions.reset_status(context, base.authorized_instance(instance_id,
                                                           rule))


def _promote(context, instance_id, value):
    validation.require_object(value, 'promote_to_replica_source')
    replication.promote(context, base.authorized_instance(
        instance_id, 'instance:promote_to_replica_source'))


def _eject(context, instance_id, value):
    validation.require_object(value, 'eject_replica_source')
    replication.eject(context, base.authorized_instance(
        instance_id, 'instance:eject_replica_source'))


_ACTIONS = {
    'eject_replica_source': _eject,
    'promote_to_replica_source': _promote,
    'restart': _restart,
    'resize': _resize,
    'reset_status': _reset_status,
}


class InstanceActionController(rest.RestController):

    @pecan.expose('json')
    def post(self, instance_id):
        body = base.json_body()
        if not isinstance(body, dict) or not body:
            raise exceptions.BadRequest('Invalid request body.')
        names = [name for name in body if name in _ACTIONS]
        if len(names) != 1:
            validation.fail('body', f'needs exactly one action of '
                                    f'{sorted(_ACTIONS)}')
        _ACTIONS[names[0]](base.context(), instance_id, body[names[0]])
        return base.empty_response(202)
