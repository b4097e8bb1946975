"""Finding instances, flavors and configuration groups by id or by name
(users give either)."""

from trove_lite.cli import client as api_client


def _by_name(items, name, kind):
    matches = [item for item in items if item.get('name') == name]
    if not matches:
        raise api_client.APIError(
            f'No {kind} with a name or ID of {name!r} exists.', 404)
    if len(matches) > 1:
        raise api_client.APIError(
            f'{len(matches)} {kind}s are named {name!r}; give the ID.')
    return matches[0]


def _get_or_none(client, path, key):
    try:
        return client.get(path)[key]
    except api_client.APIError as error:
        if error.status_code != 404:
            raise
    return None


class OnInstance:
    """Mixin of a command on one instance: INSTANCE (name or ID) is its
    first argument, ``self.instance(args)`` finds it."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('instance', metavar='INSTANCE',
                            help='Name or ID of the instance.')
        return parser

    def instance(self, args):
        return find_instance(self.app.client, args.instance)


def find_instance(client, ref):
    """The detail view of the instance with id or unique name ``ref``."""
    found = _get_or_none(client, f'/instances/{api_client.quote(ref)}',
                         'instance')
    if found is not None:
        return found
    match = _by_name(client.list_all('/instances', 'instances'), ref,
                     'instance')
    return client.get(f'/instances/{match["id"]}')['instance']


def find_flavor(client, ref):
    """The flavor with id or unique name ``ref``."""
    found = _get_or_none(client, f'/flavors/{api_client.quote(ref)}',
                         'flavor')
    if found is not None:
        return found
    return _by_name(client.get('/flavors')['flavors'], ref, 'flavor')


def flavor_id(flavor):
    """A flavor's id as the API takes it (``id`` is null for non-numeric
    ids; ``str_id`` always holds it)."""
    return flavor.get('str_id') or str(flavor['id'])


def find_configuration(client, ref):
    """The configuration group with id or unique name ``ref`` (with its
    values)."""
    found = _get_or_none(client, f'/configurations/{api_client.quote(ref)}',
                         'configuration')
    if found is not None:
        return found
    match = _by_name(client.list_all('/configurations', 'configurations'),
                     ref, 'configuration group')
    return client.get(f'/configurations/{match["id"]}')['configuration']
