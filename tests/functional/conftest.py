"""Fixtures of the functional tests: one real stack per test session."""

import pytest

from tests.functional import stack as stack_module


@pytest.fixture(scope='session')
def stack(tmp_path_factory):
    deployment = stack_module.Stack(str(tmp_path_factory.mktemp('stack')))
    try:
        deployment.setup()
        yield deployment
    finally:
        deployment.teardown()


@pytest.fixture
def api(stack):
    return stack.api('demo')
