"""Trove's instance notifications through oslo.messaging's notifier.

Event types are ``trove.instance.<action>.start|end|error``; the payload
carries Trove's usage traits so existing consumers (ceilometer-style
meters) can read it.
"""

import logging

from oslo_utils import timeutils

from trove_lite.common import context as trove_context
from trove_lite.common import rpc
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)


def instance_payload(instance, **extra):
    """Trove's usage traits of an instance (an records.instance.Instance)."""
    payload = {
        'tenant_id': instance.tenant_id,
        'instance_id': instance.id,
        'instance_name': instance.name,
        'name': instance.name,
        'instance_type_id': instance.flavor_id,
        'created_at': _iso(instance.created),
        'launched_at': _iso(instance.updated),
        'nova_instance_id': instance.compute_instance_id,
        'volume_size': instance.volume_size,
        'region': CONF.region,
        'availability_zone': None,
        'service_id': CONF.host,
    }
    payload.update(extra)
    return payload


def _iso(value):
    return value.isoformat() if value else None


def backup_payload(backup, **extra):
    """Trove's traits of a backup (a records.backup.Backup)."""
    payload = {
        'tenant_id': backup.tenant_id,
        'backup_id': backup.id,
        'name': backup.name,
        'instance_id': backup.instance_id,
        'backup_type': backup.backup_type,
        'parent_id': backup.parent_id,
        'state': backup.state,
        'size': backup.size,
        'region': CONF.region,
        'service_id': CONF.host,
    }
    payload.update(extra)
    return payload


def notify(context, publisher, action, phase, payload, resource='instance'):
    """Emit ``trove.<resource>.<action>.<phase>``; never fails the
    caller."""
    event_type = f'trove.{resource}.{action}.{phase}'
    context = context or trove_context.get_admin_context()
    payload = dict(payload, request_id=getattr(context, 'request_id', None),
                   sent_at=timeutils.utcnow().isoformat())
    notifier = rpc.get_notifier(f'{publisher}.{CONF.host}')
    try:
        if phase == 'error':
            notifier.error(context, event_type, payload)
        else:
            notifier.info(context, event_type, payload)
    except Exception:
        LOG.exception('Could not send notification %s', event_type)


class StartNotification:
    """``with StartNotification(context, publisher, action, payload):``
    sends ``<action>.start`` when the block begins, and ``<action>.error``
    (the payload with the error's ``message``) if it raises; the
    ``.end`` comes from whoever finishes the action (as Trove's API)."""

    def __init__(self, context, publisher, action, payload):
        self.context = context
        self.publisher = publisher
        self.action = action
        self.payload = payload

    def __enter__(self):
        notify(self.context, self.publisher, self.action, 'start',
               self.payload)
        return self

    def __exit__(self, error_type, error, _traceback):
        if error is not None:
            notify_error(self.context, self.publisher, self.action,
                         self.payload, error)
        return False


class EndNotification(StartNotification):
    """``with EndNotification(context, publisher, action, payload):``
    sends ``<action>.end`` when the block finishes, ``<action>.error``
    (the payload with the error's ``message``) if it raises."""

    def __enter__(self):
        return self

    def __exit__(self, error_type, error, _traceback):
        if error is None:
            notify(self.context, self.publisher, self.action, 'end',
                   self.payload)
        else:
            notify_error(self.context, self.publisher, self.action,
                         self.payload, error)
        return False


class ActionNotification(EndNotification):
    """Start, then end or error, around an action done in one block."""

    def __enter__(self):
        notify(self.context, self.publisher, self.action, 'start',
               self.payload)
        return self


def notify_error(context, publisher, action, payload, error):
    """``<action>.error`` with the error's message (a TroveLiteError's
    own message is what the user was told)."""
    notify(context, publisher, action, 'error',
           dict(payload, message=str(error)))
