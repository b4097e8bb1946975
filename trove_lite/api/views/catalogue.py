"""JSON shapes of flavors, datastores and datastore versions."""

from trove_lite.api.views import common


def flavor(row):
    """Trove's flavor: ``id`` is an int only for all-digit ids without a
    leading zero (else null), ``str_id`` always the string."""
    numeric = row.id.isdigit() and not (len(row.id) > 1
                                        and row.id.startswith('0'))
    return {
        'id': int(row.id) if numeric else None,
        'str_id': row.id,
        'name': row.name,
        'ram': row.ram,
        'vcpus': row.vcpus,
        'disk': row.disk,
        'ephemeral': row.ephemeral,
        'links': common.resource_links('flavors', row.id),
    }


def version(row, is_admin=False, include_datastore=True):
    view = {
        'id': row.id,
        'name': row.name,
        'version': row.version,
        'links': common.resource_links('datastores/versions', row.id),
    }
    if include_datastore:
        view['datastore'] = row.datastore_id
    if is_admin:
        view.update(active=row.active, packages=row.packages or '',
                    image=row.image_id or '', image_tags=[],
                    registry_ext=None, repl_strategy=None)
    return view


def datastore(row, versions, is_admin=False):
    view = {
        'id': row.id,
        'name': row.name,
        'links': common.resource_links('datastores', row.id),
        'versions': [version(v, is_admin, include_datastore=False)
                     for v in versions],
    }
    if row.default_version_id:
        view['default_version'] = row.default_version_id
    return view
