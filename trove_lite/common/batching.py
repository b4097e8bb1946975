"""Group commit: writes that many RPC worker threads make, in batches.

Every thread submits its item and waits; one writer thread applies
whatever has arrived as one batch (one transaction), then answers each
waiter. A batch is what queued up while the previous one was written (at
most ``max_batch``), so a quiet service writes each item at once and a
busy one writes many per transaction. The conductor's heartbeats and the
control plane's accepted envelope ids go through one each; a heartbeat's
thread returns (and its message is acknowledged, see
common.rpc.AckAfterDispatchServer) only once its report is written.
"""

import concurrent.futures
import queue
import threading
import time


class Batcher:
    """``apply(items) -> [result per item]`` run on batches of what
    ``submit`` is given; submit returns the item's result or raises what
    the batch raised."""

    def __init__(self, apply, max_batch=500, linger=0.0):
        self._apply = apply
        self._max_batch = max_batch
        # Seconds a batch waits for more after its first item while items
        # come faster than one a batch (the last batch had more than
        # one), and until none came for a tenth of that (every sender
        # may be waiting on this batch already): fewer and larger batches
        # under load, each costing one transaction whatever its size; a
        # quiet service writes each item at once.
        self._linger = linger
        self._busy = False
        self._queue = queue.SimpleQueue()
        self._writer = None
        self._lock = threading.Lock()

    def _start(self):
        # Started on first use: a forked worker gets its own thread.
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_batches, name='heartbeat-batches',
                    daemon=True)
                self._writer.start()

    def submit(self, item):
        future = concurrent.futures.Future()
        self._queue.put((item, future))
        if self._writer is None or not self._writer.is_alive():
            self._start()
        return future.result()

    def _next_batch(self):
        batch = [self._queue.get()]
        linger = self._linger if self._busy else 0.0
        deadline = time.monotonic() + linger
        while len(batch) < self._max_batch:
            try:
                batch.append(self._queue.get(timeout=max(0.0, min(
                    linger / 10, deadline - time.monotonic()))))
            except queue.Empty:
                break
        self._busy = len(batch) > 1
        return batch

    def _write_batches(self):
        while True:
            batch = self._next_batch()
            try:
                answers = list(zip(batch, self._apply(
                    [item for item, _ in batch]), strict=True))
            except Exception as error:
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), result in answers:
                future.set_result(result)
