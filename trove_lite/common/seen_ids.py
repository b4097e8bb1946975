"""Where a receiver of sealed envelopes (common.sealing) remembers the ids
it accepted, to refuse a replay.

Ids must outlive the receiver: a message captured before a restart and
replayed after it (within its time window) would otherwise be obeyed
again. Refusing every envelope sealed before the receiver started would
also drop legitimate messages that waited in the queue across the
restart (a guest's ``prepare``, a taskmanager request, a backup's end),
so the ids are kept where a restart does not lose them:

- the control plane's receivers (conductor, taskmanager) in the
  database (db.repositories.sealed_message_ids), which every worker and
  host shares, so a replay delivered to another worker is refused too;
- a guest in a file in its sandbox (guestagent.seen_ids): it has no
  database, and only it reads its own queue.

Every store refuses, per instance, more than ``limit`` ids still kept:
an instance flooding messages hurts only itself.
"""

import collections
import threading

REPLAYED = 'replayed'
TOO_MANY = 'too many messages within the window'


class MemorySeenIds:
    """Ids in this process's memory, lost at exit: the base of the
    guest's file store, and for tests."""

    def __init__(self):
        # instance id -> OrderedDict(message id -> keep until), in order
        # of arrival.
        self._seen = collections.defaultdict(collections.OrderedDict)
        self._lock = threading.Lock()

    def remember(self, instance_id, message_id, keep_until, now, limit):
        """None when ``message_id`` is new (it is kept until
        ``keep_until``), else why it is refused."""
        with self._lock:
            seen = self._seen[instance_id]
            for expired in [known for known, until in seen.items()
                            if until < now]:
                del seen[expired]
            if message_id in seen:
                return REPLAYED
            if len(seen) >= limit:
                return TOO_MANY
            seen[message_id] = keep_until
            self._saved()
            return None

    def _saved(self):
        """Called with the lock held after each change."""
