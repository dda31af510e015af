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


# Enough rounds that an unguarded update-vs-delete race shows (it did in 11–16 of 25).
ROUNDS = 25


def race_rounds(make, update, delete, *, clients, rounds: int = ROUNDS):
    """``rounds`` times: a fresh object, then its update and its delete at once.
    Returns the (update, delete) status pairs."""
    pairs = []
    for _ in range(rounds):
        pk = make()
        first, second = race(lambda pk=pk: update(clients[0], pk), lambda pk=pk: delete(clients[1], pk))
        assert not isinstance(first, BaseException) and not isinstance(second, BaseException), (first, second)
        pairs.append((first.status_code, second.status_code))
    return pairs
