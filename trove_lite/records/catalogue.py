"""The catalogue's records (plain data; the field names are the columns')."""

import dataclasses


@dataclasses.dataclass
class Datastore:
    id: str
    name: str
    default_version_id: str | None


@dataclasses.dataclass
class DatastoreVersion:
    id: str
    datastore_id: str
    name: str
    version: str | None
    manager: str
    image_id: str | None
    packages: str | None
    active: bool


@dataclasses.dataclass
class Flavor:
    """A flavor of the local catalogue (what Nova's flavors are to
    Trove)."""

    id: str
    name: str
    ram: int
    vcpus: int
    disk: int
    ephemeral: int
