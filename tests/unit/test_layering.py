"""Which code may import which: the guest agent runs without the control
plane's database code, the compute boundary knows no driver, and no two
modules import each other, however indirectly."""

import ast
import pathlib
import subprocess
import sys

import trove_lite

PACKAGE = pathlib.Path(trove_lite.__file__).parent


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


def test_the_import_graph_sees_imports_inside_functions(tmp_path):
    graph = import_graph()
    # compute.local.launcher imports the guest agent's command only in
    # the child it forks.
    assert 'trove_lite.cmd.guestagent' in graph[
        'trove_lite.compute.local.launcher']


def test_no_import_cycle_between_modules():
    assert find_cycle(import_graph()) is None


def test_the_guest_agent_loads_no_control_plane_database_code():
    """A guest image needs no SQLAlchemy: importing the agent and its
    datastore managers (a fresh interpreter) loads none of it."""
    probe = (
        'import sys\n'
        'import trove_lite.cmd.guestagent\n'
        'from trove_lite.guestagent.datastore import registry\n'
        'for manager in registry.supported_managers():\n'
        '    registry.manager_class(manager)\n'
        'loaded = sorted(name for name in sys.modules\n'
        "                if name.split('.')[0] == 'sqlalchemy'\n"
        "                or name.startswith(('trove_lite.db',\n"
        "                                    'trove_lite.taskmanager',\n"
        "                                    'trove_lite.compute')))\n"
        'print(loaded)\n')
    result = subprocess.run([sys.executable, '-c', probe],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == '[]'


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
