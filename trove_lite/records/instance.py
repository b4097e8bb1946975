"""The instance as every service sees it: one record from one query, with
its task and the guest's status as members of records.status."""

import dataclasses
import datetime

from trove_lite.records.status import InstanceTasks
from trove_lite.records.status import ServiceStatuses


@dataclasses.dataclass
class Instance:
    """One instance with everything its views, workflows and
    notifications need. The repository fills the fields up to
    ``host`` from the columns of the same names, in this order."""

    id: str
    name: str
    tenant_id: str
    created: datetime.datetime
    updated: datetime.datetime
    flavor_id: str
    volume_size: int | None
    region_id: str | None
    task_id: int
    task_start_time: datetime.datetime | None
    server_status: str | None
    addresses: list | None
    compute_instance_id: str | None
    volume_id: str | None
    datastore_version_id: str
    service_status_id: int | None
    service_status_updated: datetime.datetime | None
    configuration_id: str | None
    configuration_name: str | None
    # Whether the instance has a key (its guest's messages are sealed).
    encrypted_rpc_messaging: bool
    # The volume usage the guest reported with its status (at
    # service_status_updated), if it did.
    volume_used: float | None
    volume_used_percent: float | None
    # The taskmanager host holding the server (host-local compute
    # drivers), else None.
    host: str | None
    # The replication source of a replica (Trove's column), else None.
    slave_of_id: str | None
    # Trove's access as the tenant set it, or None.
    access: dict | None
    # Seconds a replica is behind its source, with the guest's status.
    replication_lag: int | None
    datastore_name: str | None = None
    datastore_version_name: str | None = None
    datastore_version_number: str | None = None
    datastore_manager: str | None = None
    # The latest fault, of an instance in an error task.
    fault_message: str | None = None
    fault_details: str | None = None
    fault_created: datetime.datetime | None = None

    @property
    def task(self):
        return InstanceTasks.from_code(self.task_id)

    @property
    def service_status(self):
        if self.service_status_id is None:
            return ServiceStatuses.UNKNOWN
        return ServiceStatuses.from_code(self.service_status_id)
