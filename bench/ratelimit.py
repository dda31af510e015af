"""The shared token bucket under contention: is the configured rate reached, and never passed?

Two worker processes take tokens from one bucket (20/s, burst 1) as fast as it
lets them for 60 s (quick: 6 s). The baseline is the configured rate itself;
each 10 s window (quick: 2 s), counted from the first token on the limiter's
clock, prints its achieved rate as a ratio of it. Target: every window
0.95–1.00×, never above.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

from tingting import ratelimit

RATE = 20.0
WORKERS = 2


def _worker(key: str, until: float, out) -> None:
    grants = []
    while True:
        at = ratelimit.acquire_timed(key, RATE, 1, block_until=until)
        if at is None:
            break
        grants.append(at)
    out.put(grants)


def measure(*, duration: float, window: float, rate: float = RATE, workers: int = WORKERS) -> list[float]:
    """Ratios of each window's achieved rate to ``rate``."""
    global RATE
    RATE = rate
    key = f"bench:{uuid.uuid4().hex}"
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + 0.5
    ratelimit.acquire_timed(key, rate, 1)  # the bucket exists; its one token is spent
    procs = [ctx.Process(target=_worker, args=(key, start + duration, queue)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    grants = sorted(t for _ in procs for t in queue.get())
    for proc in procs:
        proc.join()
    first = grants[0]
    windows = int(duration // window)
    counts = [0] * windows
    for at in grants:
        index = int((at - first) // window)
        if index < windows:
            counts[index] += 1
    return [count / (rate * window) for count in counts]


def run(quick: bool, out) -> None:
    duration, window = (6.0, 2.0) if quick else (60.0, 10.0)
    ratios = measure(duration=duration, window=window)
    backend = "redis" if ratelimit.settings.REDIS_URL else "process-local (no REDIS_URL: not shared)"
    out.write(
        f"ratelimit: {WORKERS} processes, one bucket at {RATE:g}/s burst 1 ({backend}), {duration:g} s; "
        f"baseline = the configured rate"
    )
    for index, ratio in enumerate(ratios):
        out.write(
            f"  window {index + 1} ({index * window:g}-{(index + 1) * window:g} s): "
            f"{ratio * RATE * window:.0f} tokens, ratio {ratio:.3f}x"
        )
    verdict = "ok" if all(0.95 <= r <= 1.0 for r in ratios) else "OUT OF RANGE"
    out.write(f"ratelimit: min ratio {min(ratios):.3f}x, max ratio {max(ratios):.3f}x ({verdict}: target 0.95-1.00x)")
