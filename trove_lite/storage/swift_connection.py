"""The swiftclient connection of the swift storage driver: tempauth (v1)
or a Keystone v3 password from [swift], or a keystoneauth session given by
the caller."""

import swiftclient
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3


def connect(conf, session=None):
    """A swiftclient Connection from the configuration, or with the
    keystoneauth ``session`` given (a user's token, say)."""
    options = dict(retries=conf.swift.retries, timeout=conf.swift.timeout,
                   insecure=conf.swift_api_insecure)
    os_options = {'object_storage_url': conf.swift_url,
                  'service_type': conf.swift_service_type,
                  'endpoint_type': conf.swift_endpoint_type,
                  'region_name': conf.swift.region_name}
    if session is None and conf.swift.auth_strategy == 'tempauth':
        return swiftclient.Connection(
            authurl=conf.swift.auth_url, user=conf.swift.username,
            key=conf.swift.password, auth_version='1', os_options=os_options,
            **options)
    if session is None:
        auth = v3.Password(
            auth_url=conf.swift.auth_url, username=conf.swift.username,
            password=conf.swift.password,
            user_domain_name=conf.swift.user_domain_name,
            project_id=conf.swift.project_id or None,
            project_name=(None if conf.swift.project_id
                          else conf.swift.project_name),
            project_domain_name=conf.swift.project_domain_name)
        session = ks_session.Session(auth=auth,
                                     verify=not conf.swift_api_insecure)
    return swiftclient.Connection(session=session, os_options=os_options,
                                  **options)
