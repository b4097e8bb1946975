"""A bounded, thread-safe least-recently-used cache."""

import collections
import threading


class BoundedCache:
    """At most ``size`` entries; adding one more drops the least recently
    used."""

    def __init__(self, size):
        self._size = size
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    def get(self, key, default=None):
        with self._lock:
            if key not in self._entries:
                return default
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key, value):
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def get_or_add(self, key, make):
        """The entry of ``key``, made by ``make()`` when there is none."""
        value = self.get(key, self)
        if value is self:
            value = make()
            self.put(key, value)
        return value
