"""``/v1.0/{project_id}``: routes each resource to its controller."""

from trove_lite.api.controllers.v1 import backups
from trove_lite.api.controllers.v1 import configurations
from trove_lite.api.controllers.v1 import datastores
from trove_lite.api.controllers.v1 import flavors
from trove_lite.api.controllers.v1 import instances
from trove_lite.api.controllers.v1 import limits
from trove_lite.api.controllers.v1 import mgmt


class ProjectController:
    """The resources of one project (the project was checked against the
    caller's identity by the context hook)."""

    instances = instances.InstancesController()
    flavors = flavors.FlavorsController()
    datastores = datastores.DatastoresController()
    limits = limits.LimitsController()
    configurations = configurations.ConfigurationsController()
    backups = backups.BackupsController()
    mgmt = mgmt.MgmtController()

    def __init__(self, project_id):
        self.project_id = project_id
