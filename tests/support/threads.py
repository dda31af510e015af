"""The one thread-race helper: calls released together by a barrier, each on its
own database connection (closed after), results in order with exceptions returned."""

import threading

from django.db import connection


def race(*calls, timeout: float | None = None) -> list:
    """Run each of ``calls`` in its own thread, all starting at once; return their
    results in order, an exception in place of the result of a call that raised."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def runner(index: int, call) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def run_in_threads(count: int, work) -> list:
    """``work(i)`` for i in 0..count-1, all at once."""
    return race(*[(lambda i=i: work(i)) for i in range(count)])


def errors_of(results: list) -> list:
    return [r for r in results if isinstance(r, BaseException)]
