"""Clients of Nova, Cinder and Neutron over one keystoneauth session built
from ``[service_credentials]``."""

from cinderclient import client as cinder_client
from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import generic
from novaclient import client as nova_client

from trove_lite.common import exceptions
from trove_lite.conf import CONF

# The driver is written against these versions' request and response
# shapes. Compute 2.37 is the first that lets a server boot with
# ``networks: none`` (clouds without Neutron) or ``auto``.
COMPUTE_API_VERSION = '2.37'
VOLUME_API_VERSION = '3.0'
# Volume 3.42 is the first that extends an attached (in-use) volume.
VOLUME_EXTEND_API_VERSION = '3.42'


def make_session():
    """A session that authenticates as the service user (the identity API
    version is discovered from ``auth_url``)."""
    credentials = CONF.service_credentials
    if not credentials.auth_url:
        raise ValueError('[service_credentials] auth_url is not set; the '
                         'nova compute driver needs it')
    auth = generic.Password(
        auth_url=credentials.auth_url,
        username=credentials.username,
        password=credentials.password,
        user_domain_name=credentials.user_domain_name,
        project_id=credentials.project_id or None,
        project_name=credentials.project_name or None,
        project_domain_name=credentials.project_domain_name)
    return ks_session.Session(auth=auth)


def nova(session):
    return nova_client.Client(
        COMPUTE_API_VERSION, session=session,
        service_type=CONF.nova_compute_service_type,
        endpoint_type=CONF.nova_compute_endpoint_type,
        region_name=CONF.service_credentials.region_name)


def cinder(session, version=VOLUME_API_VERSION):
    return cinder_client.Client(
        version, session=session,
        service_type=CONF.cinder_service_type,
        endpoint_type=CONF.cinder_endpoint_type,
        region_name=CONF.service_credentials.region_name)


def neutron(session):
    """A plain adapter: the driver needs only security groups and
    floating IPs, which do not justify another client library."""
    return adapter.Adapter(
        session, service_type=CONF.neutron_service_type,
        interface=CONF.neutron_endpoint_type,
        region_name=CONF.service_credentials.region_name)


def neutron_request(neutron, method, url, what, **kwargs):
    """Neutron's JSON answer to a request about ``what``; a refusal is a
    ComputeError (neutron_refused)."""
    response = neutron.request(url, method, raise_exc=False, **kwargs)
    if response.status_code >= 400:
        raise neutron_refused(response, what)
    return response.json()


def neutron_refused(response, what):
    """A ComputeError quoting Neutron's own explanation."""
    try:
        error = response.json()['NeutronError']
        detail = error.get('message') or error.get('type')
    except (ValueError, KeyError, TypeError):
        detail = response.text[:200]
    return exceptions.ComputeError(
        reason=f'Neutron refused {what} (HTTP {response.status_code}): '
               f'{detail}')
