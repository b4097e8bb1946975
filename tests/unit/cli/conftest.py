"""What every CLI unit test runs in, unless its module says otherwise:
the fake API's URL and project p1, and nothing of the caller's OS_*."""

import pytest

from tests.unit import cli_fixtures as fx


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    fx.clean_environment(monkeypatch, TROVE_LITE_URL=fx.API,
                         OS_PROJECT_ID='p1')
