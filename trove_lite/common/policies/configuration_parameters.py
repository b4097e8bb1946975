"""Rules of a datastore version's configuration parameters."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import DATASTORE
from trove_lite.common.policies.base import DATASTORE_VERSIONS
from trove_lite.common.policies.base import rule

_BY_DATASTORE = DATASTORE + '/versions/{version}/parameters'
_BY_VERSION = DATASTORE_VERSIONS + '/{version}/parameters'

rules = [
    rule('configuration-parameter:index', ADMIN_OR_OWNER,
         'List the parameters of a datastore version.',
         ('GET', _BY_DATASTORE)),
    rule('configuration-parameter:show', ADMIN_OR_OWNER,
         'Show a parameter of a datastore version.',
         ('GET', _BY_DATASTORE + '/{param}')),
    rule('configuration-parameter:index_by_version', ADMIN_OR_OWNER,
         'List the parameters of a datastore version given by id alone.',
         ('GET', _BY_VERSION)),
    rule('configuration-parameter:show_by_version', ADMIN_OR_OWNER,
         'Show a parameter of a datastore version given by id alone.',
         ('GET', _BY_VERSION + '/{param}')),
]
