"""The real broker from a test's side: what waits on it, and a broker that is down.

``scripts/test`` runs on Redis, where kombu keeps a queue as a list of JSON messages
(the body base64 JSON ``[args, kwargs, embed]``, the task name in the headers).
Use with the ``purge_broker`` fixture so only this test's messages are there.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings

from tingting.celery import app

QUEUE = "celery"


def published(task: str) -> list[list]:
    """The arguments of every ``task`` message waiting on the broker, oldest first."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    found = []
    for raw in reversed(client.lrange(QUEUE, 0, -1)):  # kombu LPUSHes: the oldest is last
        message = json.loads(raw)
        if message["headers"]["task"] == task:
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append(args)
    return found


@contextmanager
def broker_down() -> Iterator[None]:
    """Every publish of this process meets a refused connection (a closed port), after
    kombu's own publish retries; the app's pools are dropped on the way in and out as
    Celery drops them after a fork, so the next publish connects afresh."""
    saved = app.conf.broker_write_url  # what publishers connect to (broker_url unless set)

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_write_url = saved
        reset_pools()
