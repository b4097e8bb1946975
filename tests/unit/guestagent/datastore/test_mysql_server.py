"""The guest's private server: where its socket and pid file may go."""

import pytest

from trove_lite.common import exceptions
from trove_lite.guestagent.datastore import mysql_server


def test_run_dir_is_private_and_never_someone_elses(tmp_path):
    run_dir = tmp_path / 'run'
    mysql_server._make_private_dir(str(run_dir))
    assert run_dir.stat().st_mode & 0o777 == 0o700
    run_dir.chmod(0o755)
    mysql_server._make_private_dir(str(run_dir))  # ours: made private again
    assert run_dir.stat().st_mode & 0o777 == 0o700
    # One planted under /tmp is refused, not followed.
    planted = tmp_path / 'planted'
    planted.symlink_to(run_dir)
    with pytest.raises(exceptions.DatastoreOperationError):
        mysql_server._make_private_dir(str(planted))
    (tmp_path / 'file').write_text('')
    with pytest.raises(exceptions.DatastoreOperationError):
        mysql_server._make_private_dir(str(tmp_path / 'file'))
