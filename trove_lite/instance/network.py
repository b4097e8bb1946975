"""What a request asks of an instance's network: its ``access`` (who may
reach the datastore port) and its ``nics``. Both are checked against what
the compute driver can do (and ``nics`` against the network service)
before anything is written, so a request the driver cannot honour is
refused rather than ignored."""

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


def check_nics(context, request):
    """The create ``request``'s validated nics as the compute driver
    found them in the network service (each with its network); refused
    with 400 on a driver with one network to give, with an address on a
    replica (Trove's rule: a replica count would share it), and when the
    network or subnet is missing."""
    if not request.nics:
        return []
    driver = compute_base.driver_class(CONF.compute_driver)
    if driver.one_network():
        raise exceptions.BadRequest(
            f"The {CONF.compute_driver} compute driver gives every instance "
            f"its one network: 'nics' cannot be chosen.")
    if request.replica_of is not None and any(
            'ip_address' in nic for nic in request.nics):
        raise exceptions.BadRequest(
            "An 'ip_address' cannot be chosen for a replica.")
    return driver.checked_nics(context.project_id, request.nics)
