"""Token buckets and concurrency slots shared by every process (tingting/ratelimit.py), on the real Redis."""

import multiprocessing
import time
import uuid

import pytest

from tingting import ratelimit


def _key() -> str:
    return f"test:{uuid.uuid4().hex}"


def _take_until(key: str, rate: float, until: float, out) -> None:
    grants = []
    while (at := ratelimit.acquire_timed(key, rate, 1, block_until=until)) is not None:
        grants.append(at)
    out.put(grants)


def test_two_processes_never_exceed_the_rate():
    rate, duration = 10.0, 3.0
    key = _key()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    until = time.time() + duration
    procs = [ctx.Process(target=_take_until, args=(key, rate, until, queue)) for _ in range(2)]
    for proc in procs:
        proc.start()
    per_process = [queue.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert all(per_process), "both processes got tokens"
    grants = sorted(t for grants in per_process for t in grants)
    # On the limiter's clock consecutive tokens are at least 1/rate apart...
    gaps = [b - a for a, b in zip(grants, grants[1:], strict=False)]
    assert min(gaps) >= 1 / rate - 1e-6
    # ...so no 1 s window holds more than `rate`, and the rate is nearly reached.
    for index, start in enumerate(grants):
        assert sum(1 for t in grants[index:] if t < start + 1) <= rate
    assert len(grants) >= 0.9 * rate * duration


def test_acquire_without_waiting_and_wait_time():
    key = _key()
    assert ratelimit.acquire(key, 2, burst=2)
    assert ratelimit.acquire(key, 2, burst=2)
    assert not ratelimit.acquire(key, 2, burst=2)
    wait = ratelimit.wait_time(key, 2, burst=2)
    assert 0.3 < wait <= 0.5
    assert ratelimit.wait_time(key, 2, burst=2) <= wait  # peeking takes nothing
    started = time.monotonic()
    assert ratelimit.acquire(key, 2, burst=2, block_until=time.time() + 2)
    assert time.monotonic() - started >= wait - 0.05
    # A deadline the next token cannot meet answers False at once.
    started = time.monotonic()
    assert not ratelimit.acquire(key, 2, burst=2, block_until=time.time() + 0.1)
    assert time.monotonic() - started < 0.1


def test_invalid_rates_are_refused():
    with pytest.raises(ValueError):
        ratelimit.acquire(_key(), 0)
    with pytest.raises(ValueError):
        ratelimit.acquire(_key(), 1, burst=0)


def test_slots_cap_concurrency_and_free_on_release_or_lease_end():
    key = _key()
    assert ratelimit.slot_acquire(key, 2, "a", lease_seconds=30)
    assert ratelimit.slot_acquire(key, 2, "b", lease_seconds=0.3)
    assert not ratelimit.slot_acquire(key, 2, "c", lease_seconds=30)
    assert ratelimit.slot_acquire(key, 2, "a", lease_seconds=30)  # the holder renews
    assert ratelimit.slots_in_use(key) == 2
    assert ratelimit.slot_release(key, "a")
    assert not ratelimit.slot_release(key, "a")  # a repeat is harmless
    assert ratelimit.slot_acquire(key, 2, "c", lease_seconds=30)
    # "b" belongs to a worker that died: its lease runs out and the slot frees itself.
    assert not ratelimit.slot_acquire(key, 2, "d", lease_seconds=30)
    time.sleep(0.4)
    assert not ratelimit.slot_renew(key, "b", lease_seconds=30)
    assert ratelimit.slot_acquire(key, 2, "d", lease_seconds=30)
    assert ratelimit.slot_renew(key, "d", lease_seconds=30)


def _grab_slot(key: str, token: str, out) -> None:
    out.put(ratelimit.slot_acquire(key, 3, token, lease_seconds=30))


def test_slots_are_shared_by_processes():
    key = _key()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_grab_slot, args=(key, f"t{i}", queue)) for i in range(8)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert results.count(True) == 3
    assert ratelimit.slots_in_use(key) == 3


def test_process_local_fallback_without_redis(settings):
    settings.REDIS_URL = ""
    key = _key()
    assert ratelimit.acquire(key, 5)
    assert not ratelimit.acquire(key, 5)
    assert 0 < ratelimit.wait_time(key, 5) <= 0.2
    assert ratelimit.acquire(key, 5, block_until=time.time() + 1)
    assert ratelimit.slot_acquire(key, 1, "a", lease_seconds=10)
    assert not ratelimit.slot_acquire(key, 1, "b", lease_seconds=10)
    assert ratelimit.slot_release(key, "a")
    assert ratelimit.slots_in_use(key) == 0
