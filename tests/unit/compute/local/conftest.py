"""Fixtures of the local driver's tests."""

import pytest


@pytest.fixture
def started():
    """Processes a test started, killed and reaped after it."""
    made = []
    yield made
    for process in made:
        if process.poll() is None:
            process.kill()
        process.wait()
