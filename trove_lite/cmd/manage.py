"""trove-lite-manage: schema migrations and the catalogue.

    trove-lite-manage db-sync
    trove-lite-manage datastore-update NAME [DEFAULT_VERSION]
    trove-lite-manage datastore-version-update DATASTORE NAME MANAGER
        [--image IMAGE] [--packages PACKAGES] [--inactive]
        [--version-number NUMBER]
    trove-lite-manage flavor-create ID NAME RAM VCPUS [--disk GB]
    trove-lite-manage db-load-datastore-config-parameters DATASTORE VERSION
        [FILE] [--version-number NUMBER]
    trove-lite-manage catalogue-load FILE
    trove-lite-manage service list

``db-load-datastore-config-parameters`` (Trove's
``db_load_datastore_config_parameters``) adds or updates the configuration
parameters of a datastore version from a catalogue file in Trove's
``validation-rules.json`` format (see datastore.parameters); without
FILE, from the catalogue trove-lite ships for the version's manager.
Parameters not in the file stay as they are.

``catalogue-load`` registers a whole catalogue from one JSON file::

    {"datastores": [{"name": "mariadb", "default_version": "10.11",
                     "versions": [{"name": "10.11", "manager": "mariadb",
                                   "version_number": "10.11.19",
                                   "image": null, "active": true}]}],
     "flavors": [{"id": "1", "name": "tiny", "ram": 256, "vcpus": 1,
                  "disk": 1}]}

``service list`` shows the registered taskmanagers and conductors as
``openstack compute service list`` shows Nova's: binary, host, topic, state
(``up`` while it heartbeats, ``down`` after a clean stop or
``service_down_time`` seconds of silence) and the time of the last
heartbeat (UTC, by the database's clock).

A version also gets the configuration parameters trove-lite ships for its
manager, unless it names a file of its own (``"config_parameters":
"FILE"``) or none (``"config_parameters": false``).
"""

import json
import sys

from oslo_config import cfg

from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import config
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.datastore import parameters as config_parameters


def db_sync():
    from trove_lite.db import migration  # alembic: only this command
    migration.upgrade()
    print(f'Schema at revision {migration.current_revision()}')


def datastore_update():
    args = CONF.command
    datastore = catalogue_api.save_datastore(args.datastore_name,
                                             args.default_version)
    print(f'Datastore {datastore.name} ({datastore.id}) updated')


def datastore_version_update():
    args = CONF.command
    version = catalogue_api.save_version(
        args.datastore, args.version_name, args.manager,
        image_id=args.image, packages=args.packages,
        active=not args.inactive, version=args.version_number)
    print(f'Datastore version {args.datastore}/{version.name} '
          f'({version.id}) updated')


def flavor_create():
    args = CONF.command
    flavor = catalogue_api.save_flavor(args.flavor_id, args.flavor_name,
                                       args.ram, args.vcpus, disk=args.disk)
    print(f'Flavor {flavor.name} ({flavor.id}) created')


def _load_parameters(version, source):
    """Load the parameters of ``source`` (a file name, or None for the
    shipped catalogue of the version's manager) into ``version``."""
    if source is None:
        found = config_parameters.shipped(version.manager)
        if found is None:
            raise exceptions.TroveLiteError(
                f'trove-lite ships no configuration parameters for '
                f'manager {version.manager}; give a file')
        source = f'the catalogue of {version.manager}'
    else:
        with open(source) as catalogue_file:
            found = config_parameters.read(catalogue_file.read())
        config_parameters.check_settable(version.manager, found)
    created, updated = catalogue_api.load_parameters(version.id, found)
    print(f'Loaded {len(found)} configuration parameters from {source} '
          f'into version {version.name} ({version.id}): {created} new, '
          f'{updated} updated')


def db_load_datastore_config_parameters():
    args = CONF.command
    datastore = catalogue_api.find_datastore(args.datastore)
    version = catalogue_api.find_version(datastore, args.config_version,
                                         args.version_number)
    _load_parameters(version, args.parameters_file)


def catalogue_load():
    with open(CONF.command.file) as source:
        catalogue = json.load(source)
    for datastore in catalogue.get('datastores', []):
        catalogue_api.save_datastore(datastore['name'])
        for version in datastore.get('versions', []):
            row = catalogue_api.save_version(
                datastore['name'], version['name'], version['manager'],
                image_id=version.get('image'),
                packages=version.get('packages'),
                active=version.get('active', True),
                version=version.get('version_number'))
            source = version.get('config_parameters')
            if source is not False and (
                    source or config_parameters.ships_for(row.manager)):
                _load_parameters(row, source)
        if datastore.get('default_version'):
            catalogue_api.save_datastore(datastore['name'],
                                         datastore['default_version'])
        print(f'Datastore {datastore["name"]} loaded')
    for flavor in catalogue.get('flavors', []):
        catalogue_api.save_flavor(str(flavor['id']), flavor['name'],
                                  flavor['ram'], flavor['vcpus'],
                                  disk=flavor.get('disk', 0))
        print(f'Flavor {flavor["name"]} loaded')


def service_list():
    from trove_lite import db
    from trove_lite.db.repositories import services
    now, rows = db.read(services.list_all)
    table = [('ID', 'Binary', 'Host', 'Topic', 'State', 'Updated At')]
    for row in rows:
        state = 'up' if services.is_up(row, now, CONF.service_down_time) \
            else 'down'
        table.append((str(row.id), row.binary, row.host, row.topic, state,
                      row.updated_at.isoformat(timespec='seconds')))
    print(_format_table(table))


def _format_table(rows):
    """Rows as an ASCII table, the first row the heading."""
    widths = [max(len(row[column]) for row in rows)
              for column in range(len(rows[0]))]
    rule = '+' + '+'.join('-' * (width + 2) for width in widths) + '+'

    def line(row):
        cells = (cell.ljust(width)
                 for cell, width in zip(row, widths, strict=True))
        return '| ' + ' | '.join(cells) + ' |'
    return '\n'.join([rule, line(rows[0]), rule,
                      *(line(row) for row in rows[1:]), rule])


def add_command_parsers(subparsers):
    parser = subparsers.add_parser('db-sync',
                                   help='Create or upgrade the schema.')
    parser.set_defaults(func=db_sync)

    parser = subparsers.add_parser('datastore-update',
                                   help='Create or update a datastore.')
    parser.add_argument('datastore_name', metavar='NAME')
    parser.add_argument('default_version', nargs='?',
                        help='Name of its default version.')
    parser.set_defaults(func=datastore_update)

    parser = subparsers.add_parser('datastore-version-update',
                                   help='Create or update a version.')
    parser.add_argument('datastore')
    parser.add_argument('version_name')
    parser.add_argument('manager', help='Guest manager: mysql or mariadb.')
    parser.add_argument('--image', help='Image the compute driver boots.')
    parser.add_argument('--packages')
    parser.add_argument('--version-number', dest='version_number')
    parser.add_argument('--inactive', action='store_true')
    parser.set_defaults(func=datastore_version_update)

    parser = subparsers.add_parser('flavor-create',
                                   help='Create or update a flavor.')
    parser.add_argument('flavor_id', metavar='ID')
    parser.add_argument('flavor_name', metavar='NAME')
    parser.add_argument('ram', type=int, help='RAM in MB.')
    parser.add_argument('vcpus', type=int)
    parser.add_argument('--disk', type=int, default=0)
    parser.set_defaults(func=flavor_create)

    parser = subparsers.add_parser(
        'db-load-datastore-config-parameters',
        help='Add or update the configuration parameters of a datastore '
             'version.')
    parser.add_argument('datastore')
    # Not "datastore_version" nor "config_file": oslo.config has options
    # of those names already.
    parser.add_argument('config_version', metavar='datastore_version')
    parser.add_argument('parameters_file', metavar='config_file', nargs='?',
                        help='Catalogue file (default: the one trove-lite '
                             "ships for the version's manager).")
    parser.add_argument('--version-number', dest='version_number')
    parser.set_defaults(func=db_load_datastore_config_parameters)

    parser = subparsers.add_parser(
        'catalogue-load', help='Register datastores, versions and flavors '
                               'from a JSON file.')
    parser.add_argument('file')
    parser.set_defaults(func=catalogue_load)

    parser = subparsers.add_parser(
        'service', help='The registered taskmanagers and conductors.')
    actions = parser.add_subparsers(title='Service commands',
                                    dest='service_action', required=True)
    actions.add_parser('list', help='Show each service with its host, '
                                    'state and last heartbeat.'
                       ).set_defaults(func=service_list)


def main():
    CONF.register_cli_opt(cfg.SubCommandOpt(
        'command', title='Commands', handler=add_command_parsers))
    config.parse_args(sys.argv)
    try:
        CONF.command.func()
    except (exceptions.TroveLiteError, config_parameters.ParameterRuleError,
            OSError) as error:
        sys.exit(f'Error: {error}')


if __name__ == '__main__':
    main()
