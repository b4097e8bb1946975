"""Unit-test fixtures: config defaults, an in-memory SQLite control plane,
and oslo.messaging's fake transport. No services are needed."""

import pytest
from oslo_config import fixture as config_fixture
from oslo_log import log as logging

from trove_lite.api import ratelimit
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import policy
from trove_lite.common import rpc
from trove_lite.conf import CONF
from trove_lite.conf import opts
from trove_lite.db import coordination_models  # noqa: F401 (its tables)
from trove_lite.db import engine
from trove_lite.db import models
from trove_lite.instance import keys


@pytest.fixture(autouse=True)
def conf():
    opts.set_defaults()
    if 'debug' not in CONF:
        logging.register_options(CONF)
    fixture = config_fixture.Config(CONF)
    fixture.setUp()
    CONF([], project='trove-lite', default_config_files=[])
    fixture.config(transport_url='fake:/')
    # No broker to make users on (test_broker_users mocks its API).
    fixture.config(guest_broker_credentials='shared')
    # The fixture's clean-up also drops the hostname default.
    fixture.config(host='unit-host')
    # No taskmanager registers in unit tests: any takes any request
    # (instance.placement's tests place on hosts).
    fixture.config(shared_state=True, group='local_compute')
    # Built from the config on first use: each test starts afresh.
    policy.reset()
    ratelimit.reset()
    yield fixture
    fixture.cleanUp()
    rpc.cleanup()


@pytest.fixture(autouse=True)
def instance_keys(request, monkeypatch):
    """Without the ``database`` fixture there are no instance rows to read
    keys from: every instance talks in the clear."""
    if 'database' not in request.fixturenames:
        monkeypatch.setattr(keys, 'key_of', lambda instance_id: None)
        monkeypatch.setattr(keys, 'find_key',
                            lambda instance_id: (True, None))


@pytest.fixture
def database(conf):
    """An empty control-plane schema in SQLite (shared in-process)."""
    conf.config(connection='sqlite://', group='database')
    engine.dispose()
    sqlite = engine.get_engine()
    models.Base.metadata.create_all(sqlite)
    yield sqlite
    engine.dispose()


@pytest.fixture
def catalogue(database):
    """A datastore with one version and a flavor."""
    catalogue_api.save_datastore('mariadb')
    version = catalogue_api.save_version('mariadb', '10.11', 'mariadb',
                                         version='10.11.19')
    catalogue_api.save_datastore('mariadb', '10.11')
    catalogue_api.save_flavor('1', 'tiny', 256, 1, disk=1)
    return version
