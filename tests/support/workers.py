"""Real Celery worker processes for tests that claim to test dispatch.

The worker runs ``celery -A tingting worker`` in a subprocess on the real broker
(``CELERY_BROKER_URL``, Redis in ``scripts/test``) against the test database, so
the test must use ``django_db(transaction=True)`` for the worker to see its rows.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        raise RuntimeError("worker tests need PostgreSQL (run them through scripts/test)")
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole worker (main process and pool children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=30)


def start_worker(
    *,
    concurrency: int = 2,
    pool: str = "prefork",
    queues: str | None = None,
    env: dict[str, str] | None = None,
    ready_timeout: float = 60,
    include: str | None = None,
) -> WorkerProcess:
    log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tingting",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--pool",
        pool,
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"test-{uuid.uuid4().hex[:8]}@%h",
    ]
    if queues:
        command += ["--queues", queues]
    if include:  # modules outside the apps' autodiscovered tasks (bench.tasks)
        command += ["--include", include]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": test_database_url(), **(env or {})},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = WorkerProcess(proc, log)
    deadline = time.monotonic() + ready_timeout
    while " ready." not in worker.output():
        if proc.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"celery worker did not start:\n{worker.output()[-3000:]}")
        time.sleep(0.2)
    return worker


@contextmanager
def running_worker(**kwargs) -> Iterator[WorkerProcess]:
    worker = start_worker(**kwargs)
    try:
        yield worker
    finally:
        if worker.proc.poll() is None:
            worker.kill(signal.SIGTERM)


def wait_until(predicate, *, timeout: float = 60, interval: float = 0.2, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
