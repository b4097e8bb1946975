"""A configuration group's change, applied to one instance it is attached
to (Trove's ``update_overrides`` task). The API casts one per attached
instance, so no request thread waits on a guest, and a silent guest holds
up only its own task."""

import logging

from trove_lite import db
from trove_lite.db.repositories import instances
from trove_lite.instance import configuration as instance_configuration
from trove_lite.instance import keys
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.taskmanager import claims

LOG = logging.getLogger(__name__)

# Seconds to wait for a workflow on the instance (a restart hands the
# guest the group's values itself).
CLAIM_WAIT = 60


def update_overrides(context, instance_claims, instance_id,
                     configuration_id, changed):
    """Bring the instance's guest to the current values of its group
    ``configuration_id``, whose ``changed`` names changed."""
    try:
        with instance_claims.acquire(instance_id, 'update_overrides',
                                     wait=CLAIM_WAIT):
            record = db.read(instances.find, instance_id)
            if record is None or record.configuration_id != configuration_id:
                LOG.info('Configuration group %s no longer on instance %s: '
                         'nothing to apply', configuration_id, instance_id)
                return
            instance_configuration.reapply_to(
                context, record, changed,
                guest_rpcapi.API(record.id, keys.key_of(record.id)))
    except claims.ClaimHeld as busy:
        LOG.warning('%s; it gets configuration group %s at its restart',
                    busy, configuration_id)
        instance_configuration.mark_restart_required(instance_id, changed)
