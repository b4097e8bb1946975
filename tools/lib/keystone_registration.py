"""Register trove-lite in an existing Keystone, as DevStack would for a
service: the Keystone mode of tools/quickstart.sh.

Acting as the admin of the ``OS_*`` variables (read as the ``trove-lite``
CLI reads them), it makes sure that

- the project ``service`` and the role ``service`` exist;
- the service user (``TROVE_LITE_SERVICE_USER``, default ``trove-lite``)
  exists, has the ``service`` role on the project ``service`` and logs in
  with its password;
- the service ``trove`` of type ``database`` has a public, an internal and
  an admin endpoint with the given URL in ``OS_REGION_NAME`` (default
  ``RegionOne``; the region is created if missing).

Then it writes the API's ``[keystone_authtoken]`` config for that user
(mode 0600) and prints the id of the admin's project. Whatever exists
already is kept: a second run changes nothing. An endpoint of ``trove``
with another URL is left alone and reported as an error.

The service password is ``TROVE_LITE_SERVICE_PASSWORD``, or else the one
kept in ``--password-file`` (made on the first run, mode 0600). It is never
printed. If the user exists with another password, the password is set.
"""

import argparse
import configparser
import io
import os
import re
import secrets
import sys

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ksa_exceptions
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import generic

from trove_lite.cli import auth as cli_auth
from trove_lite.cli import client as cli_client

# DevStack's SERVICE_PROJECT_NAME, SERVICE_DOMAIN_NAME and REGION_NAME.
SERVICE_PROJECT = 'service'
SERVICE_ROLE = 'service'
DOMAIN = 'Default'
DEFAULT_REGION = 'RegionOne'
DEFAULT_USER = 'trove-lite'
# Trove's name and type in the catalogue: python-troveclient and OSC look
# for the type.
SERVICE_NAME = 'trove'
SERVICE_TYPE = 'database'
SERVICE_DESCRIPTION = 'Database service (trove-lite)'
INTERFACES = ('public', 'internal', 'admin')


class RegistrationError(Exception):
    """Why trove-lite cannot be registered, in one line for the operator."""


def log(message):
    print(f'\033[1m==>\033[0m {message}', file=sys.stderr)


class Identity:
    """The identity v3 API, as the admin."""

    def __init__(self, session, interface):
        self.api = adapter.Adapter(session, service_type='identity',
                                   interface=interface, version=(3, 0))

    def find(self, collection, **filters):
        """The first of ``collection`` matching ``filters``, or None."""
        found = self.api.get(f'/{collection}', params=filters).json()
        return next(iter(found[collection]), None)

    def create(self, collection, kind, **fields):
        return self.api.post(f'/{collection}',
                             json={kind: fields}).json()[kind]

    def find_or_create(self, collection, kind, what, filters, **fields):
        """``(record, created)``; a record a concurrent run created first
        (409) counts as found."""
        record = self.find(collection, **filters)
        if record is not None:
            return record, False
        log(f'creating {what}')
        try:
            return self.create(collection, kind, **fields), True
        except ksa_exceptions.Conflict:
            return self.find(collection, **filters), False


def admin_session():
    """A keystoneauth1 session of the admin of the ``OS_*`` variables."""
    parser = argparse.ArgumentParser(add_help=False)
    cli_auth.register_options(parser)
    options = parser.parse_args([])
    if not options.os_auth_url:
        raise RegistrationError(
            'Keystone mode needs the admin credentials of the cloud: set '
            'OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, '
            'OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME (source the '
            'admin openrc).')
    kind = cli_auth.auth_type(options)
    if kind in cli_auth.NO_AUTH_ALIASES:
        raise RegistrationError(f'OS_AUTH_TYPE is {kind!r}: Keystone mode '
                                'needs Keystone credentials.')
    try:
        plugin = cli_auth.keystone_plugin(kind, options)
    except cli_client.APIError as error:
        # The CLI names its options; here the variables are what is set.
        raise RegistrationError(re.sub(
            '--os-([a-z-]+)',
            lambda flag: 'OS_' + flag[1].replace('-', '_').upper(),
            str(error))) from None
    return ksa_session.Session(
        auth=plugin, app_name='trove-lite-quickstart',
        verify=False if options.insecure else (options.os_cacert or True))


def service_password(password_file):
    """TROVE_LITE_SERVICE_PASSWORD, or the kept one, or a new one kept."""
    if os.environ.get('TROVE_LITE_SERVICE_PASSWORD'):
        return os.environ['TROVE_LITE_SERVICE_PASSWORD']
    try:
        with open(password_file) as kept:
            return kept.read().strip()
    except FileNotFoundError:
        pass
    password = secrets.token_urlsafe(24)
    write_private(password_file, password + '\n')
    return password


def write_private(path, text):
    """Write ``text`` to ``path`` (mode 0600 from the start), atomically."""
    partial = f'{path}.{os.getpid()}.tmp'
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600)
    with os.fdopen(descriptor, 'w') as out:
        out.write(text)
    os.replace(partial, path)


class Registration:
    """What trove-lite needs in Keystone, made where it is missing."""

    def __init__(self, session, interface, region, user_name, password):
        self.session = session
        self.identity = Identity(session, interface)
        self.region = region
        self.user_name = user_name
        self.password = password

    def run(self, endpoint_url):
        domain = self.identity.find('domains', name=DOMAIN)
        if domain is None:
            raise RegistrationError(f'Keystone has no domain {DOMAIN!r}.')
        project, _ = self.identity.find_or_create(
            'projects', 'project', f'the project {SERVICE_PROJECT}',
            {'name': SERVICE_PROJECT, 'domain_id': domain['id']},
            name=SERVICE_PROJECT, domain_id=domain['id'],
            description='Service project')
        role, _ = self.identity.find_or_create(
            'roles', 'role', f'the role {SERVICE_ROLE}',
            {'name': SERVICE_ROLE}, name=SERVICE_ROLE)
        self.ensure_user(domain['id'], project['id'], role['id'])
        self.ensure_region()
        service = self.ensure_service()
        for interface in INTERFACES:
            self.ensure_endpoint(service['id'], interface, endpoint_url)

    def ensure_user(self, domain_id, project_id, role_id):
        user, created = self.identity.find_or_create(
            'users', 'user', f'the service user {self.user_name}',
            {'name': self.user_name, 'domain_id': domain_id},
            name=self.user_name, domain_id=domain_id,
            password=self.password, default_project_id=project_id)
        self.identity.api.put(f'/projects/{project_id}/users/{user["id"]}'
                              f'/roles/{role_id}')
        if self.user_can_log_in(domain_id, project_id):
            return
        if not created:
            log(f'the service user {self.user_name} has another password; '
                'setting the password trove-lite uses')
            self.identity.api.patch(f'/users/{user["id"]}', json={
                'user': {'password': self.password}})
            if self.user_can_log_in(domain_id, project_id):
                return
        raise RegistrationError(
            f'Keystone refuses the service user {self.user_name} in the '
            f'project {SERVICE_PROJECT} (is it disabled?).')

    def user_can_log_in(self, domain_id, project_id):
        """Whether the service user gets a token for the service project
        with its password (the check auth_token will make)."""
        plugin = generic.Password(
            auth_url=self.session.auth.auth_url, username=self.user_name,
            password=self.password, user_domain_id=domain_id,
            project_id=project_id)
        try:
            plugin.get_access(ksa_session.Session(
                auth=plugin, verify=self.session.verify))
        except ksa_exceptions.Unauthorized:
            return False
        return True

    def ensure_region(self):
        try:
            self.identity.api.get(f'/regions/{self.region}')
        except ksa_exceptions.NotFound:
            log(f'creating the region {self.region}')
            try:
                self.identity.create('regions', 'region', id=self.region)
            except ksa_exceptions.Conflict:
                pass

    def ensure_service(self):
        services = self.identity.api.get(
            '/services', params={'type': SERVICE_TYPE}).json()['services']
        for service in services:
            if service['name'] == SERVICE_NAME:
                return service
        log(f'registering the service {SERVICE_NAME} ({SERVICE_TYPE})')
        return self.identity.create('services', 'service',
                                    name=SERVICE_NAME, type=SERVICE_TYPE,
                                    description=SERVICE_DESCRIPTION)

    def ensure_endpoint(self, service_id, interface, url):
        endpoint = self.identity.find('endpoints', service_id=service_id,
                                      interface=interface,
                                      region_id=self.region)
        if endpoint is None:
            log(f'registering the {interface} endpoint {url} in '
                f'{self.region}')
            self.identity.create('endpoints', 'endpoint',
                                 service_id=service_id, interface=interface,
                                 region_id=self.region, url=url)
        elif endpoint['url'] != url:
            raise RegistrationError(
                f'the {interface} endpoint of {SERVICE_NAME} in '
                f'{self.region} is {endpoint["url"]}, not {url}; delete it '
                f'("openstack endpoint delete {endpoint["id"]}") or run '
                'the quickstart on its port (TROVE_LITE_PORT).')


def authtoken_config(session, interface, region, user_name, password):
    """The API's config behind Keystone: ``[keystone_authtoken]`` for the
    service user."""
    auth_url = session.auth.auth_url
    options = {
        'www_authenticate_uri': auth_url,
        'auth_url': auth_url,
        'auth_type': 'password',
        'username': user_name,
        # oslo.config expands $name in values: keep a $ a $.
        'password': password.replace('$', '$$'),
        'user_domain_name': DOMAIN,
        'project_name': SERVICE_PROJECT,
        'project_domain_name': DOMAIN,
        # The identity endpoint auth_token validates tokens at: the one
        # this machine reaches (the admin's), not the catalogue's
        # default "internal".
        'interface': interface,
        'region_name': region,
        'service_token_roles_required': 'true',
    }
    if session.verify is False:
        options['insecure'] = 'true'
    elif isinstance(session.verify, str):
        options['cafile'] = session.verify
    parser = configparser.ConfigParser(interpolation=None)
    parser['DEFAULT'] = {'auth_strategy': 'keystone'}
    parser['keystone_authtoken'] = options
    text = io.StringIO()
    parser.write(text)
    return text.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--endpoint', required=True,
                        help='catalogue URL, with $(project_id)s')
    parser.add_argument('--config', required=True,
                        help='config file to write ([keystone_authtoken])')
    parser.add_argument('--password-file', required=True,
                        help='where the generated service password is kept')
    args = parser.parse_args()
    interface = os.environ.get('OS_INTERFACE') or 'public'
    region = os.environ.get('OS_REGION_NAME') or DEFAULT_REGION
    user_name = os.environ.get('TROVE_LITE_SERVICE_USER') or DEFAULT_USER
    try:
        session = admin_session()
        password = service_password(args.password_file)
        Registration(session, interface, region, user_name,
                     password).run(args.endpoint)
        write_private(args.config, authtoken_config(
            session, interface, region, user_name, password))
        print(session.get_project_id())
    except RegistrationError as error:
        sys.exit(f'error: {error}')
    except ksa_exceptions.Unauthorized:
        sys.exit('error: Keystone refuses the admin credentials of the '
                 'OS_* variables.')
    except ksa_exceptions.Forbidden as error:
        sys.exit(f'error: the user of the OS_* variables is not allowed to '
                 f'register services and users (is it an admin?): {error}')
    except ksa_exceptions.ClientException as error:
        sys.exit(f'error: Keystone: {error}')


if __name__ == '__main__':
    main()
