"""Databases on a running instance (``/instances/{id}/databases``).

Listing is an RPC call to the guest; creating and dropping are casts, as
in Trove. The API has validated every name before anything here runs, and
checks existence first, so a duplicate or a missing database is refused
with Trove's 400/404 instead of failing silently in the guest.
"""

from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.datastore import mysql_rules
from trove_lite.instance import api as instance_api


def _exists(context, guest, name):
    found, _next = guest.list_databases(context, limit=1, marker=name,
                                        include_marker=True)
    return bool(found) and found[0].name == name


def list_databases(context, record, limit, marker=None):
    """One page of the databases of the instance (a record from
    instance.api.get), reserved ones left out:
    ``(DatabaseSpecs, next_marker)``."""
    guest = instance_api.running_guest(record)
    databases, next_marker = guest.list_databases(context, limit=limit,
                                                  marker=marker)
    reserved = mysql_rules.reserved_databases()
    return [d for d in databases if d.name.lower() not in reserved], \
        next_marker


def create(context, record, databases):
    """Create DatabaseSpecs; none of them may exist yet."""
    guest = instance_api.running_guest(record)
    for database in databases:
        if _exists(context, guest, database.name):
            raise exceptions.DatabaseAlreadyExists(name=database.name)
    guest.create_database(context, databases)


def delete(context, record, name):
    """Drop the database ``name`` (404 when there is none)."""
    guest = instance_api.running_guest(record)
    if not _exists(context, guest, name):
        raise exceptions.DatabaseNotFound(uuid=name)
    guest.delete_database(context, objects.DatabaseSpec(name=name))
