"""The control-plane database: models (the schema), the engines, and one
repository module per aggregate under ``repositories``.

The service layer opens the transaction and hands it to the repository
functions it composes, so a write that spans aggregates (an instance and
its quota usage) is visible where it is made::

    with db.transaction() as tx:
        instances.set_task_if(tx, ...)
        quota.apply(tx, usage)

Single reads go through ``db.read(repository_function, *args)``.
"""

from trove_lite.db.engine import read
from trove_lite.db.engine import transaction

__all__ = ['read', 'transaction']
