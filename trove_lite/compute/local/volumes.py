"""The volumes of the local compute driver: a volume is a directory under
``volumes/`` its guest keeps its datadir in, with its record beside it
(``volumes/<id>.json``: instance, size, type); a volume snapshot is a
copy kept for a backup's project (``snapshots``)."""

import os
import shutil
import uuid

from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.local import files
from trove_lite.compute.local import processes
from trove_lite.compute.local import snapshots
from trove_lite.conf import CONF


class LocalVolumes:
    """The volume half of the local driver (``LocalDriver``), over its
    ``state_path``; extending a volume also tells its server, so that
    stays with the driver."""

    def _volume_path(self, volume_id):
        return files.entry(os.path.join(self.state_path, 'volumes'),
                           volume_id)

    volume_snapshot_quiesce = snapshots.QUIESCE

    def create_volume(self, instance_id, size_gb, volume_type=None,
                      snapshot=None):
        volume_id = str(uuid.uuid4())
        path = self._volume_path(volume_id)
        os.makedirs(path)
        if snapshot is not None:
            try:
                snapshots.restore(self.state_path, *snapshot, path)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
        files.write_json(path + '.json', {
            'id': volume_id, 'name': f'trove-{instance_id}',
            'instance_id': instance_id, 'size': size_gb,
            'type': volume_type})
        return volume_id

    def list_volumes(self):
        volumes = os.path.join(self.state_path, 'volumes')
        found = []
        for name in os.listdir(volumes):
            record = (files.read_json(os.path.join(volumes, name))
                      if name.endswith('.json') else None)
            if record is None:
                continue
            found.append(base.Volume(id=record['id'],
                                     instance_id=record.get('instance_id'),
                                     size=record.get('size')))
        return found

    def snapshot_volume(self, volume_id, backup_id, project_id, thaw):
        size = snapshots.take(self.state_path, self._volume_path(volume_id),
                              project_id, backup_id)
        thaw()
        return size

    def delete_volume_snapshot(self, backup_id, project_id):
        snapshots.delete(self.state_path, project_id, backup_id)

    def delete_volume(self, volume_id):
        # A database still running on it (its guest's server lost) stops.
        processes.stop_in([self._volume_path(volume_id)],
                          CONF.server_delete_time_out)
        shutil.rmtree(self._volume_path(volume_id), ignore_errors=True)
        files.remove(self._volume_path(volume_id) + '.json')

    def _volume_record(self, volume_id):
        record = files.read_json(self._volume_path(volume_id) + '.json')
        if record is None:
            raise exceptions.ComputeError(
                reason=f'volume {volume_id} does not exist')
        return record
