"""The guest's store of accepted envelope ids (common.seen_ids): a file in
its sandbox, so a restarted guest still refuses a replay."""

import json
import logging

from trove_lite.common import seen_ids
from trove_lite.guestagent import durable

LOG = logging.getLogger(__name__)


class FileSeenIds(seen_ids.MemorySeenIds):
    """Ids read back from ``path`` at start and written (whole, owner-only)
    after each accepted message: a guest takes a few messages a
    minute."""

    def __init__(self, path):
        super().__init__()
        self._path = path
        try:
            with open(path, encoding='utf-8') as stored:
                for instance_id, ids in json.load(stored).items():
                    self._seen[instance_id].update(ids)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as error:
            # Unreadable: start without them rather than not at all; the
            # time window still bounds a replay.
            LOG.warning('Seen message ids in %s not read: %s', path, error)

    def _saved(self):
        durable.write_private(self._path, json.dumps(self._seen))
