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


class Batcher:
    """``apply(items) -> [result per item]`` run on batches of what
    ``submit`` is given; submit returns the item's result or raises what
    the batch raised."""

    def __init__(self, apply, max_batch=500):
        self._apply = apply
        self._max_batch = max_batch
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
        while len(batch) < self._max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
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
