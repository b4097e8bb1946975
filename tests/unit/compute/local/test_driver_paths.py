"""The local driver joins only its own ids to the state path: a guest
process seen working outside servers/ (a mariadbd in its datadir) once
made the orphan reaper delete server "..", the whole state path."""

import os

import pytest

from trove_lite.common import exceptions
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import processes


@pytest.fixture
def driver(tmp_path):
    made = object.__new__(local_driver.LocalDriver)  # no launcher
    made.state_path = str(tmp_path)
    for folder in ('servers', 'volumes'):
        os.makedirs(tmp_path / folder)
    return made


def test_only_server_directories_name_unrecorded_guests(driver, tmp_path,
                                                        monkeypatch):
    servers = str(tmp_path / 'servers')
    monkeypatch.setattr(processes, 'working_dirs_in', lambda path: {
        1: f'{servers}/5f0c1d2e-aaaa-4bbb-8ccc-000000000001/sandbox',
        2: f'{servers}/../volumes/v1',   # moved on since it was listed
        3: servers,
        4: f'{servers}/.hidden'})
    assert driver._unrecorded_guests() == {
        '5f0c1d2e-aaaa-4bbb-8ccc-000000000001'}


@pytest.mark.parametrize('bad', ['..', '.', '', 'a/b', '../servers', None])
def test_a_bad_id_is_refused_and_nothing_is_removed(driver, tmp_path, bad):
    with pytest.raises(exceptions.ComputeError):
        driver.delete_server(bad)
    with pytest.raises(exceptions.ComputeError):
        driver.delete_volume(bad)
    assert sorted(os.listdir(tmp_path)) == ['servers', 'volumes']
