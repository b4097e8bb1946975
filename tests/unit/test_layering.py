"""Which code may import which: packages import only the packages below
them in the architecture guide's list, no two packages (nor modules)
import each other however indirectly, the guest agent runs without the
control plane's database code, and the compute boundary knows no
driver."""

import ast
import pathlib
import re
import subprocess
import sys

import trove_lite

PACKAGE = pathlib.Path(trove_lite.__file__).parent
ARCHITECTURE = (PACKAGE.parent / 'doc' / 'source' / 'contributor'
                / 'architecture.rst')


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def import_graph():
    """module -> the trove_lite modules it imports (anywhere in it, at
    the top or inside a function)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob('*.py')}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names
                                if alias.name in modules)
            elif (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith('trove_lite')):
                for alias in node.names:
                    full = f'{node.module}.{alias.name}'
                    imported.add(full if full in modules else node.module)
        graph[name] = imported
    return graph


def find_cycle(graph):
    """One cycle of ``graph`` as a list of nodes, or None."""
    done, path, on_path = set(), [], set()

    def visit(node):
        path.append(node)
        on_path.add(node)
        for following in sorted(graph.get(node, ())):
            if following in on_path:
                return path[path.index(following):] + [following]
            if following not in done:
                cycle = visit(following)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for node in sorted(graph):
        if node not in done:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_find_cycle_finds_an_indirect_cycle_and_only_a_real_one():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == [
        'a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b', 'c'}, 'b': {'c'}, 'c': set()}) is None


def test_the_import_graph_sees_imports_inside_functions():
    graph = import_graph()
    # The guest launcher imports the guest agent's command only inside
    # its functions.
    assert 'trove_lite.cmd.guestagent' in graph[
        'trove_lite.cmd.guest_launcher']


def test_no_import_cycle_between_modules():
    assert find_cycle(import_graph()) is None


def package_of(module):
    """trove_lite.<package> of a module (trove_lite itself for the
    package's own top-level modules)."""
    return '.'.join(module.split('.')[:2])


def package_graph(graph=None):
    """package -> the other trove_lite packages its modules import."""
    packages = {}
    for module, imported in (graph or import_graph()).items():
        source = package_of(module)
        packages.setdefault(source, set()).update(
            package_of(name) for name in imported
            if package_of(name) != source)
    return packages


def test_package_graph_joins_modules_by_package():
    graph = {'trove_lite.a.x': {'trove_lite.b.y', 'trove_lite.a.z'},
             'trove_lite.a.z': set(), 'trove_lite.b.y': set()}
    assert package_graph(graph) == {'trove_lite.a': {'trove_lite.b'},
                                    'trove_lite.b': set()}


def test_no_import_cycle_between_packages():
    cycle = find_cycle(package_graph())
    assert cycle is None, 'packages import each other: ' + ' -> '.join(cycle)


def documented_layers():
    """The package list of the architecture guide's code map, lowest
    first: one set of package names per line."""
    text = ARCHITECTURE.read_text()
    block = text[text.index('Packages, lower ones first'):
                 text.index('One line per module')]
    layers = []
    for line in block.splitlines():
        match = re.match(r'   ((?:\w+/(?:, )?)+)(?:\s|$)', line)
        if match:
            layers.append({f'trove_lite.{name}' for name
                           in re.findall(r'(\w+)/', match.group(1))})
    return layers


def test_every_package_imports_only_the_layers_below_it():
    layers = documented_layers()
    level = {package: index for index, layer in enumerate(layers)
             for package in layer}
    packages = package_graph()
    unplaced = {package for package, imported in packages.items()
                if package != 'trove_lite' and imported} - set(level)
    assert not unplaced, (f'{sorted(unplaced)}: add them to the package '
                          f'list in {ARCHITECTURE.name}')
    upward = sorted(f'{source} -> {target}'
                    for source, imported in packages.items()
                    if source in level
                    for target in imported
                    if level.get(target, -1) >= level[source])
    assert not upward, ('imports of a package beside or above: '
                        + ', '.join(upward))


# What a guest agent never uses: the control plane's database, web and
# OpenStack client libraries, and the oslo messaging stack its own
# transport replaces (guestagent.amqp_rpc). Each would cost every guest
# its memory (requests alone ~5 MiB of RSS, the messaging stack ~11).
GUEST_NEVER_LOADS = ('sqlalchemy', 'alembic', 'pecan', 'webob', 'requests',
                     'urllib3', 'keystoneauth1', 'keystonemiddleware',
                     'swiftclient', 'oslo_policy', 'oslo_messaging',
                     'kombu', 'futurist', 'cotyledon', 'oslo_log.log',
                     'oslo_serialization', 'oslo_utils', 'psutil')


def test_the_guest_agent_loads_no_control_plane_code():
    """A guest image needs no SQLAlchemy nor any library it never uses:
    what the guest launcher loads for its guests, and the agent and its
    datastore managers (a fresh interpreter), load none of it."""
    probe = (
        'import sys\n'
        'from trove_lite.cmd import guest_launcher\n'
        'guest_launcher.preload()\n'
        'from trove_lite.guestagent.datastore import registry\n'
        'for manager in registry.supported_managers():\n'
        '    registry.manager_class(manager)\n'
        'loaded = sorted(name for name in sys.modules\n'
        f"                if name.split('.')[0] in {GUEST_NEVER_LOADS!r}\n"
        f"                or name in {GUEST_NEVER_LOADS!r}\n"
        "                or name.startswith(('trove_lite.db',\n"
        "                                    'trove_lite.taskmanager',\n"
        "                                    'trove_lite.compute')))\n"
        'print(loaded)\n')
    assert _printed_by(probe) == '[]'


def test_a_forked_guest_imports_nothing_the_launcher_could_have():
    """What a guest runs after the launcher forks it -- its set-up (mount
    namespace, cgroups), its connection's host lookup, its dispatch pool
    -- is loaded before the fork: imported after it, it cost every guest
    CPU and pages of its own."""
    probe = (
        'import sys\n'
        'from trove_lite.cmd import guest_launcher\n'
        'guest_launcher._preload_set_up()\n'
        'guest_launcher.preload()\n'
        'before = set(sys.modules)\n'
        'import socket\n'
        'socket.getaddrinfo("localhost", 5672)\n'
        'from trove_lite.guestagent import amqp_rpc\n'
        'amqp_rpc.concurrent.futures.ThreadPoolExecutor(1).shutdown()\n'
        'from trove_lite.compute.local import cgroups, mounts\n'
        'print(sorted(set(sys.modules) - before))\n')
    assert _printed_by(probe) == '[]'


def _printed_by(probe):
    """What ``probe`` (Python source) prints in a fresh interpreter."""
    return subprocess.run([sys.executable, '-c', probe], capture_output=True,
                          text=True, check=True).stdout.strip()


def _imports_of(module):
    return import_graph()[module]


def test_the_compute_boundary_imports_no_driver():
    """Drivers are found through entry points (setup.cfg), so the
    boundary every driver imports never imports one."""
    assert not {name for name in _imports_of('trove_lite.compute.base')
                if name.startswith('trove_lite.compute.')}


def test_the_local_driver_imports_nothing_of_the_guest_agent():
    """What the driver and the guest both must know of a guest's files
    (where its socket goes) is in trove_lite.datastore."""
    assert not {name for name in _imports_of('trove_lite.compute.local.driver')
                if name.startswith('trove_lite.guestagent')}
