"""How the CLI reaches the API: global options and the HTTP client.

Two ways, chosen by ``--os-auth-type`` (``OS_AUTH_TYPE``), or when that
is not given by whether ``--os-auth-url`` (``OS_AUTH_URL``) is set:

- ``none``: trove-lite's noauth mode. The endpoint is ``--url``
  (``TROVE_LITE_URL`` or ``OS_ENDPOINT``) plus ``/v1.0/<--os-project-id>``
  unless it names a project; ``--os-token``
  (``OS_TOKEN``), if given, is sent as ``X-Auth-Token`` as it is.
- a keystoneauth1 plugin (``password`` by default, ``token`` when only a
  token is given, ``v3applicationcredential`` for an application
  credential) with the usual ``OS_*`` variables. The endpoint is the
  catalogue's ``database`` service, or ``--url`` with the token's
  project when ``--url`` is given.
"""

import importlib.metadata
import os

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ksa_exceptions
from keystoneauth1 import loading
from keystoneauth1 import session as ksa_session
from keystoneauth1 import token_endpoint

from trove_lite.cli import client as api_client

NO_AUTH = 'none'
# Trove's own word for the same thing (``auth_strategy = noauth``).
NO_AUTH_ALIASES = (NO_AUTH, 'noauth')
# The plugins whose options the CLI offers (the union of their options).
KEYSTONE_PLUGINS = ('password', 'token', 'v3applicationcredential')
SERVICE_TYPE = 'database'
# The secret each plugin cannot do without.
SECRETS = {'password': ('password',), 'token': ('token',),
           'v3applicationcredential': ('application_credential_secret',)}
HTTP_TIMEOUT = 60


def _env(*names, default=None):
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return default


def _keystone_options():
    """keystoneauth1's options of the offered plugins, without repeats."""
    options = {}
    for plugin in KEYSTONE_PLUGINS:
        for option in loading.get_plugin_loader(plugin).get_options():
            options.setdefault(option.dest, option)
    return list(options.values())


# Options that matter with and without Keystone; registered first.
COMMON_OPTIONS = ('project_id', 'token')


def register_options(parser):
    parser.add_argument(
        '--url', metavar='<url>',
        default=_env('TROVE_LITE_URL', 'OS_ENDPOINT'),
        help='trove-lite API URL, e.g. http://127.0.0.1:8779, optionally '
             'ending in /v1.0/<project> (env TROVE_LITE_URL, or '
             'OS_ENDPOINT as set for "openstack --os-auth-type none"; '
             f'default {api_client.DEFAULT_URL} without Keystone, the '
             'catalogue\'s "database" endpoint with Keystone).')
    parser.add_argument(
        '--os-project-id', metavar='<project_id>',
        default=_env('OS_PROJECT_ID', 'OS_TENANT_ID'),
        help='Project to act in without Keystone; with Keystone, the '
             'project to scope the token to (env OS_PROJECT_ID).')
    parser.add_argument(
        '--os-token', metavar='<token>', default=_env('OS_TOKEN'),
        help='Keystone token: sent as it is without --os-auth-url, else '
             'used to authenticate (env OS_TOKEN).')
    parser.add_argument(
        '--os-auth-type', metavar='<auth_type>',
        default=_env('OS_AUTH_TYPE'),
        help='"none" for no Keystone, or a keystoneauth1 plugin name '
             '(env OS_AUTH_TYPE; default: "password" when an auth URL is '
             'given, else "none").')
    group = parser.add_argument_group(
        'Keystone', 'Used when --os-auth-url (OS_AUTH_URL) is given.')
    for option in _keystone_options():
        if option.dest in COMMON_OPTIONS:
            continue
        flag = '--os-' + option.dest.replace('_', '-')
        envvars = option.argparse_envvars
        group.add_argument(
            flag, dest='os_' + option.dest, metavar=f'<{option.dest}>',
            default=_env(*envvars),
            help=f'{option.help} (env {envvars[0]}).')
    group.add_argument(
        '--os-region-name', metavar='<region_name>',
        default=_env('OS_REGION_NAME'),
        help='Region of the catalogue endpoint (env OS_REGION_NAME).')
    group.add_argument(
        '--os-interface', metavar='<interface>',
        default=_env('OS_INTERFACE', default='public'),
        help='Catalogue interface (env OS_INTERFACE; default '
             '%(default)s).')
    group.add_argument(
        '--os-cacert', metavar='<ca_bundle>', default=_env('OS_CACERT'),
        help='CA bundle to verify TLS servers (env OS_CACERT).')
    group.add_argument(
        '--insecure', action='store_true',
        help='Do not verify TLS certificates.')


def auth_type(options):
    if options.os_auth_type:
        return options.os_auth_type
    if not options.os_auth_url:
        return NO_AUTH
    if options.os_application_credential_id or \
            options.os_application_credential_name:
        return 'v3applicationcredential'
    if options.os_token and not options.os_password:
        return 'token'
    return 'password'


def make_client(options):
    """The Client the options describe; APIError if they are incomplete or
    Keystone refuses them."""
    session = ksa_session.Session(
        verify=False if options.insecure else (options.os_cacert or True),
        timeout=HTTP_TIMEOUT, app_name='trove-lite',
        app_version=importlib.metadata.version('trove-lite'))
    kind = auth_type(options)
    if kind in NO_AUTH_ALIASES:
        url = api_client.endpoint(options.url or api_client.DEFAULT_URL,
                                  options.os_project_id)
        plugin = (token_endpoint.Token(url, options.os_token)
                  if options.os_token else None)
        return api_client.Client(adapter.Adapter(
            session, auth=plugin, endpoint_override=url))
    plugin = keystone_plugin(kind, options)
    override = None
    try:
        if options.url:
            override = api_client.endpoint(
                options.url, plugin.get_project_id(session))
        client_adapter = adapter.Adapter(
            session, auth=plugin, service_type=SERVICE_TYPE,
            interface=options.os_interface,
            region_name=options.os_region_name, endpoint_override=override)
        # Authenticate now so that a bad credential or a catalogue without
        # trove is reported as such, not as the first request's failure.
        found = client_adapter.get_endpoint()
    except (ksa_exceptions.EmptyCatalog, ksa_exceptions.EndpointNotFound):
        found = None
    except ksa_exceptions.ConnectionError as error:
        raise api_client.APIError(
            f'Cannot reach Keystone at {options.os_auth_url}: '
            f'{api_client.root_cause(error)}') from None
    except ksa_exceptions.ClientException as error:
        raise api_client.APIError(f'Keystone: {error}') from None
    if found is None:
        raise api_client.APIError(
            f'The Keystone catalogue has no {SERVICE_TYPE!r} endpoint '
            f'(interface {options.os_interface}, region '
            f'{options.os_region_name or "any"}); pass --url.')
    return api_client.Client(client_adapter)


def keystone_plugin(kind, options):
    """The keystoneauth1 plugin ``kind`` loaded from the ``--os-*``
    options it takes."""
    try:
        loader = loading.get_plugin_loader(kind)
    except ksa_exceptions.NoMatchingPlugin:
        raise api_client.APIError(
            f'Unknown --os-auth-type {kind!r}: use "none" or one of '
            f'{", ".join(KEYSTONE_PLUGINS)}.') from None
    values = {option.dest: getattr(options, 'os_' + option.dest, None)
              for option in loader.get_options()}
    # keystoneauth1 notices a missing secret only when it authenticates,
    # after a round trip to Keystone: check before.
    missing = [option for option in loader.get_options()
               if option.dest in SECRETS.get(kind, ())
               and not values[option.dest]]
    if not missing:
        try:
            return loader.load_from_options(
                **{key: value for key, value in values.items() if value})
        except ksa_exceptions.MissingRequiredOptions as error:
            missing = error.options
    flags = ', '.join('--os-' + option.dest.replace('_', '-')
                      for option in missing)
    raise api_client.APIError(
        f'Keystone authentication ({kind}) needs {flags}.')
