"""The architecture document's code map names every module, so a
newcomer finds each one there (and a moved module leaves no stale
line)."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CODE_MAP = ROOT / 'doc' / 'source' / 'contributor' / 'architecture.rst'
# A code map line: five spaces, a path under trove_lite/, its purpose.
LINE = re.compile(r'^ {5}([a-z0-9_/]+\.py)\s', re.MULTILINE)


def mapped():
    return set(LINE.findall(CODE_MAP.read_text()))


def modules():
    package = ROOT / 'trove_lite'
    return {str(path.relative_to(package))
            for path in package.rglob('*.py') if path.name != '__init__.py'}


def test_every_module_is_in_the_code_map():
    assert modules() - mapped() == set()


def test_the_code_map_names_no_module_that_is_gone():
    gone = {path for path in mapped() - modules()
            if not path.endswith('__init__.py')}
    assert gone == set()
