"""The swiftclient connection of the swift storage driver, as the user of
[swift] (tempauth v1 or a Keystone v3 password), to the account a
project's objects are kept in."""

import threading

import swiftclient
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

# The storage URL of the [swift] user's own account, per user: found by
# one authentication per process.
_own_urls = {}
_own_urls_lock = threading.Lock()


def account_url(conf, project_id):
    """The storage URL of ``project_id``'s objects: its own account of the
    same Swift (account_per_project), or the [swift] user's account."""
    own = conf.swift_url or _own_url(conf)
    if not conf.swift.account_per_project:
        return own.rstrip('/')
    root = own.rstrip('/').rpartition('/')[0]
    return f'{root}/{conf.swift.reseller_prefix}{project_id}'


def _own_url(conf):
    key = (conf.swift.auth_url, conf.swift.username,
           conf.swift.project_id or conf.swift.project_name)
    with _own_urls_lock:
        if key not in _own_urls:
            _own_urls[key] = _connect(conf, None).get_auth()[0]
        return _own_urls[key]


def connect(conf, project_id):
    """A swiftclient Connection acting on ``project_id``'s account."""
    return _connect(conf, account_url(conf, project_id))


def _connect(conf, storage_url):
    options = dict(retries=conf.swift.retries, timeout=conf.swift.timeout,
                   insecure=conf.swift_api_insecure)
    os_options = {'object_storage_url': storage_url,
                  'service_type': conf.swift_service_type,
                  'endpoint_type': conf.swift_endpoint_type,
                  'region_name': conf.swift.region_name}
    if conf.swift.auth_strategy == 'tempauth':
        return swiftclient.Connection(
            authurl=conf.swift.auth_url, user=conf.swift.username,
            key=conf.swift.password, auth_version='1', os_options=os_options,
            **options)
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
