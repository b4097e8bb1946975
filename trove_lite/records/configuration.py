"""Configuration groups as the services see them."""

import dataclasses
import datetime


@dataclasses.dataclass
class ConfigurationGroup:
    """A configuration group with the names its views show."""

    id: str
    name: str
    description: str | None
    tenant_id: str
    datastore_version_id: str
    created: datetime.datetime
    updated: datetime.datetime
    datastore_name: str
    datastore_version_name: str
    datastore_version_number: str | None
