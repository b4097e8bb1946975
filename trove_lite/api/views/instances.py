"""JSON shapes of instances (Trove's InstanceView / InstanceDetailView)."""

from oslo_utils import timeutils

from trove_lite.api.views import common
from trove_lite.conf import CONF
from trove_lite.instance import api as instance_api
from trove_lite.records import status as instance_status


class Viewing:
    """What every instance view of one request shares, worked out once
    per request rather than once per instance of a list: the request's
    links, the time the heartbeat-expiry rule compares with, and the
    settings the views read."""

    def __init__(self, now=None, links=None):
        self.now = now or timeutils.utcnow()
        self.links = links or common.request_links()
        self.heartbeat_expiry = CONF.agent_heartbeat_expiry
        self._volume_support = {}

    def volume_support(self, manager):
        """instance_api.volume_support, read once per manager."""
        supported = self._volume_support.get(manager)
        if supported is None:
            supported = self._volume_support[manager] = \
                instance_api.volume_support(manager)
        return supported


def _statuses(record, viewing):
    task = record.task
    service = instance_status.effective_service_status(
        task, record.service_status, record.service_status_updated,
        viewing.now, viewing.heartbeat_expiry)
    return (instance_status.api_status(task, record.server_status),
            instance_status.operating_status(task, record.server_status,
                                             service))


def instance(record, detail=False, viewing=None):
    """One instance as seen at ``viewing.now`` (the heartbeat expiry
    rule; a new Viewing of this request when None); ``detail`` adds the
    keys of the detail view."""
    viewing = viewing or Viewing()
    links = viewing.links
    status, operating_status = _statuses(record, viewing)
    view = {
        'id': record.id,
        'name': record.name,
        'status': status,
        'operating_status': operating_status,
        'links': links.of('instances', record.id),
        'flavor': {'id': str(record.flavor_id),
                   'links': links.of('flavors', record.flavor_id)},
        'datastore': {'type': record.datastore_name,
                      'version': record.datastore_version_name},
        'region': record.region_id,
    }
    addresses = record.addresses or []
    # Trove's rule: the access as set, else derived from the addresses.
    if record.access:
        view['access'] = dict(record.access)
    else:
        view['access'] = ({'is_public': any(a.get('type') == 'public'
                                            for a in addresses)}
                          if addresses else {})
    if (record.volume_size
            and viewing.volume_support(record.datastore_manager)):
        view['volume'] = {'size': record.volume_size}
    if addresses:
        view['ip'] = [address['address'] for address in addresses]
        view['addresses'] = addresses
    if record.slave_of_id is not None:
        view['replica_of'] = _reference(record.slave_of_id, links)
    if detail:
        view['created'] = common.timestamp(record.created)
        view['updated'] = common.timestamp(record.updated)
        view['service_status_updated'] = common.timestamp(
            record.service_status_updated)
        if record.datastore_version_number is not None:
            view['datastore']['version_number'] = \
                record.datastore_version_number
        if record.configuration_id:
            view['configuration'] = {
                'id': record.configuration_id,
                'name': record.configuration_name,
                'links': links.of('configurations',
                                  record.configuration_id)}
        if record.fault_message:
            view['fault'] = {'message': record.fault_message,
                             'created': common.timestamp(
                                 record.fault_created),
                             'details': None}
    return view


def admin_keys(view, record):
    """Keys only admins see."""
    view['tenant_id'] = record.tenant_id
    view['server_id'] = record.compute_instance_id
    view['volume_id'] = record.volume_id
    view['encrypted_rpc_messaging'] = bool(record.encrypted_rpc_messaging)
    if 'fault' in view:
        # As in Trove: why it failed in depth (a failed build's guest log)
        # is for operators only.
        view['fault']['details'] = record.fault_details
    return view


def add_volume_usage(view, record):
    """The volume usage in the show view: what the guest measured with its
    last report (at ``service_status_updated``); the API never asks the
    guest, so a slow or silent guest cannot slow a show."""
    if 'volume' in view and record.volume_used is not None:
        view['volume']['used'] = record.volume_used
        if record.volume_used_percent is not None:
            view['volume']['used_percent'] = record.volume_used_percent
    return view


def _reference(instance_id, links=None):
    links = links or common.request_links()
    return {'id': instance_id, 'links': links.of('instances', instance_id)}


def add_replicas(view, replica_ids):
    """A source's replicas in its show view (Trove's detail view)."""
    if replica_ids:
        view['replicas'] = [_reference(replica_id)
                            for replica_id in replica_ids]
    return view


def add_replication_lag(view, record):
    """trove-lite's: a replica's seconds behind its source in its show
    view, as its last heartbeat said (null while it does not
    replicate)."""
    if record.slave_of_id is not None:
        view['replication_lag'] = record.replication_lag
    return view
