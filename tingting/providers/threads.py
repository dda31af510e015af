"""The threads one chunk task calls a per-message provider backend on (a kernel
helper: it knows nothing of campaigns)."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connections


class ProviderThreads:
    """The threads one chunk task calls a per-message backend on. Each thread has
    its own database connection (the backend records what it sends); ``close``
    closes them, one job per thread, before the threads go."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="provider")
        self.lock = threading.Lock()

    def submit(self, call, items: list) -> Future:
        """``call`` on every item on the threads; a future of the results in order.
        Each call runs in a copy of the caller's context, so the reports it
        delivers land in the caller's round buffer (reports.collecting)."""
        futures = [self.pool.submit(contextvars.copy_context().run, _call_in_thread, call, item) for item in items]
        done: Future = Future()
        if not futures:
            done.set_result([])

        def gather(_: Future) -> None:
            if all(future.done() for future in futures) and not done.done():
                with self.lock:
                    if not done.done():
                        done.set_result([future.result() for future in futures])

        for future in futures:
            future.add_done_callback(gather)
        return done

    def close(self) -> None:
        started = len(self.pool._threads)  # noqa: SLF001 - how many threads exist to close a connection in
        if started:
            barrier = threading.Barrier(started)

            def close_connection() -> None:
                barrier.wait(timeout=30)  # every thread takes exactly one of these
                connections.close_all()

            for future in [self.pool.submit(close_connection) for _ in range(started)]:
                future.result()
        self.pool.shutdown(wait=True)


def _call_in_thread(call, item):
    try:
        return call(item)
    except Exception as exc:  # noqa: BLE001 - handed back per message
        return exc
