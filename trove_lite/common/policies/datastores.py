"""Rules of ``/datastores`` and their versions."""

from trove_lite.common.policies.base import ADMIN
from trove_lite.common.policies.base import ANYONE
from trove_lite.common.policies.base import DATASTORE
from trove_lite.common.policies.base import DATASTORE_VERSIONS
from trove_lite.common.policies.base import DATASTORES
from trove_lite.common.policies.base import rule

rules = [
    rule('datastore:index', ANYONE, 'List datastores.',
         ('GET', DATASTORES)),
    rule('datastore:show', ANYONE, 'Show a datastore.', ('GET', DATASTORE)),
    rule('datastore:delete', ADMIN, 'Delete a datastore.',
         ('DELETE', DATASTORE)),
    rule('datastore:version_show', ANYONE,
         'Show a version of a datastore.',
         ('GET', DATASTORE + '/versions/{version}')),
    rule('datastore:version_show_by_uuid', ANYONE,
         'Show a datastore version by its id alone.',
         ('GET', DATASTORE_VERSIONS + '/{version}')),
    rule('datastore:version_index', ANYONE,
         'List the versions of a datastore.',
         ('GET', DATASTORE + '/versions')),
    rule('datastore:list_associated_flavors', ANYONE,
         'List the flavors a datastore version may use.',
         ('GET', DATASTORE + '/versions/{version}/flavors')),
    rule('datastore:list_associated_volume_types', ANYONE,
         'List the volume types a datastore version may use.',
         ('GET', DATASTORE + '/versions/{version}/volume-types')),
]
