"""The one retry idiom of tasks (``tingting.retry``), through Celery's own retry machinery.

The tasks run with ``apply()``: Celery re-applies a retried task in the same call,
so every retry happens without waiting out the backoff a worker would wait
(5 + 10 + 20 s for an OTP). The provider boundary is the only double.
"""

from __future__ import annotations

import pytest
from celery import current_app

from otp import codes
from otp.models import Otp
from otp.tasks import otp_send_task
from tests.support.clients import client_for
from tingting.providers import reset_backends
from tingting.providers.base import ProviderTemporaryError, SmsBackend
from tingting.retry import backoff_seconds, retry_or_give_up


class _DownSms(SmsBackend):
    """A vendor answering 503 to every request."""

    calls = 0

    def send(self, message):
        type(self).calls += 1
        raise ProviderTemporaryError("503 from vendor")


@pytest.mark.django_db
def test_an_otp_whose_provider_stays_down_is_retried_then_failed_and_its_hold_released(user, settings):
    body = {"number": "9851023212", "message": "Your code is {otp}", "sms_send_options": "text"}
    body |= {"otp_options": "personnel", "otp": "123456"}
    response = client_for(user).post("/api/system/send/otp/", body, format="json")
    assert response.status_code == 200, response.json()
    row = Otp.objects.get()
    settings.SMS_BACKEND = f"{__name__}._DownSms"
    reset_backends()
    _DownSms.calls = 0
    try:
        otp_send_task.apply(args=[row.pk, codes.seal({"otp": row.pk, "code": "123456"}), ""])
    finally:
        reset_backends()
    row.refresh_from_db()
    assert _DownSms.calls == 1 + otp_send_task.max_retries
    assert (row.status, row.billing, row.error) == ("failed", "released", "provider unavailable: 503 from vendor")
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)


# A probe task: fails with a temporary error until its ``ok_from``-th run.
runs: list[tuple[int, list[str]]] = []
given_up: list[list[str]] = []


@current_app.task(name="tests.retry_probe", bind=True, max_retries=2)
def _probe(self, items: list[str], ok_from: int, with_give_up: bool = True) -> str:
    runs.append((self.request.retries, items))
    if len(runs) >= ok_from:
        return "done"
    give_up = (lambda: given_up.append(items) or "gave up") if with_give_up else None
    return retry_or_give_up(
        self, exc=ProviderTemporaryError("down"), first=5, args=[items[1:], ok_from, with_give_up], give_up=give_up
    )


@pytest.fixture
def probe():
    runs.clear()
    given_up.clear()
    return _probe


def test_a_task_that_recovers_is_retried_with_the_arguments_it_hands_on(probe):
    assert probe.apply(args=[["a", "b", "c"], 2]).get() == "done"
    assert runs == [(0, ["a", "b", "c"]), (1, ["b", "c"])]
    assert given_up == []


def test_out_of_retries_the_task_gives_up_once(probe):
    assert probe.apply(args=[["a", "b", "c", "d"], 99]).get() == "gave up"
    assert [retries for retries, _ in runs] == [0, 1, 2]
    assert given_up == [["c", "d"]]


def test_out_of_retries_without_a_give_up_step_the_task_fails_with_the_error(probe):
    result = probe.apply(args=[["a"], 99, False])
    assert result.failed() and isinstance(result.result, ProviderTemporaryError)
    assert len(runs) == 3


def test_backoff_doubles_from_the_first_wait_up_to_the_cap():
    assert [backoff_seconds(n, first=5, cap=120) for n in range(7)] == [5, 10, 20, 40, 80, 120, 120]
