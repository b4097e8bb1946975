"""What an installed (not editable) trove-lite holds: the wheel that the
guest image and DevStack install is built from setup.cfg's package list,
so a package missing there is missing on every real host."""

import configparser
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def listed_packages():
    setup = configparser.ConfigParser()
    setup.read(ROOT / 'setup.cfg')
    return set(setup['options']['packages'].split())


def source_packages():
    return {'.'.join(init.parent.relative_to(ROOT).parts)
            for init in (ROOT / 'trove_lite').rglob('__init__.py')}


def test_every_package_of_the_source_is_in_the_wheel():
    assert source_packages() - listed_packages() == set()


def test_the_wheel_lists_no_package_that_is_gone():
    # migrations/ is packaged as trove_lite.migrations (package_dir).
    gone = {name for name in listed_packages() - source_packages()
            if not name.startswith('trove_lite.migrations')}
    assert gone == set()
