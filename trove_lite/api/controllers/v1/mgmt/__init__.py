"""``/v1.0/{project_id}/mgmt``: administration calls."""

from trove_lite.api.controllers.v1.mgmt import parameters
from trove_lite.api.controllers.v1.mgmt import quotas


class MgmtController:
    """Routes the management resources."""

    quotas = quotas.QuotasController()
    datastores = parameters.MgmtDatastoresController()
