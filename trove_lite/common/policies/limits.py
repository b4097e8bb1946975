"""Rules of ``/limits``."""

from trove_lite.common.policies.base import ADMIN_OR_OWNER
from trove_lite.common.policies.base import PROJECT
from trove_lite.common.policies.base import rule

rules = [
    rule('limits:index', ADMIN_OR_OWNER,
         'Show the project\'s absolute (quota) and rate limits.',
         ('GET', PROJECT + '/limits')),
]
