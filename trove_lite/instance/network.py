"""What a request asks of an instance's network: its ``access`` (who may
reach the datastore port) and its ``nics``. Both are checked against what
the compute driver can do before anything is written, so a request for a
limit the driver cannot enforce is refused rather than ignored."""

from trove_lite.common import exceptions
from trove_lite.compute import base as compute_base
from trove_lite.conf import CONF


def check_access(access):
    """BadRequest when ``access`` (validated, or None) limits who may
    connect and the compute driver cannot enforce that."""
    if not (access or {}).get('allowed_cidrs'):
        return
    if not compute_base.driver_class(CONF.compute_driver).enforces_access():
        raise exceptions.BadRequest(
            f"The {CONF.compute_driver} compute driver of this deployment "
            f"cannot limit access to an instance: 'allowed_cidrs' cannot be "
            f"used.")


def check_nics(nics):
    """Refuse a choice of network: the one-network drivers have none to
    give (400); the nova driver does not pass one to Nova yet (501)."""
    if not nics:
        return
    if compute_base.driver_class(CONF.compute_driver).one_network():
        raise exceptions.BadRequest(
            f"The {CONF.compute_driver} compute driver gives every instance "
            f"its one network: 'nics' cannot be chosen.")
    raise exceptions.NotImplementedYet(
        f"trove-lite does not pass 'nics' to the {CONF.compute_driver} "
        f"compute driver yet.")
