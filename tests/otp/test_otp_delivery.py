"""OTP delivery after commit by a real worker, charging, reports, the sweep, and secrecy at rest."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry
from otp import codes, services
from otp.models import Otp
from tests.support.clients import client_for
from tests.support.envelope import assert_envelope
from tests.support.factories import UserFactory
from tests.support.workers import wait_until
from tingting.models import SimulatedDelivery, TtsRender
from tingting.providers import reset_backends
from tingting.providers.base import ProviderTemporaryError, SmsBackend, StatusReport

SEND = "/api/system/send/otp/"
VERIFY = "/api/system/verify/otp/"
TERMINAL = {"delivered", "undelivered", "expired", "completed", "hungup", "unanswered", "failed"}


def send(client, number: str, channel: str = "text", code: str | None = None, **extra):
    body = {"number": number, "message": "Your code is {otp}", "sms_send_options": channel, "otp_length": 10}
    if code:
        body |= {"otp_options": "personnel", "otp": code}
    response = client.post(SEND, body, format="json", **extra)
    assert response.status_code == 200, response.json()
    return response.json()["data"]["details"]["otp"]


def text_columns_containing(needle: str, *, skip: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every (table, column) of a text-like type in the database whose value contains ``needle``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'jsonb', 'json')"
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            if (table, column) in skip:
                continue
            cursor.execute(
                f'SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s LIMIT 1',  # noqa: S608
                [f"%{needle}%"],
            )
            if cursor.fetchone():
                found.append((table, column))
        return found


@pytest.mark.django_db(transaction=True)
def test_worker_sends_each_otp_once_charges_delivered_and_releases_refused(celery_worker):
    account = UserFactory(credits=100)
    client = client_for(account)
    text_code = send(client, "9851023212", code="8642097531", HTTP_IDEMPOTENCY_KEY="otp-text")
    voice_code = send(client, "9851023213", "voice")
    refused_code = send(client, "9851023219")  # simulated: refused at submission
    send(client, "9851023218", "voice")  # simulated: unanswered
    rows = {row.number[-1]: row for row in Otp.objects.all()}

    wait_until(
        lambda: set(Otp.objects.values_list("status", flat=True)) <= TERMINAL,
        timeout=60,
        message="the worker to deliver the four OTPs",
    )
    # A redelivered task finds the row claimed and does nothing.
    from otp.tasks import otp_send_task

    otp_send_task.delay(rows["2"].pk, codes.seal({"otp": rows["2"].pk, "code": text_code}), "")
    wait_until(
        lambda: len(re.findall(r"otp\.send\[[^\]]+\] succeeded", celery_worker.output())) == 5,
        timeout=60,
        message="the duplicate task to run",
    )

    outcome = {row.number[-1]: (row.status, row.billing) for row in Otp.objects.all()}
    assert outcome == {
        "2": ("delivered", "charged"),
        "3": ("completed", "charged"),
        "9": ("failed", "released"),
        "8": ("unanswered", "released"),
    }
    # The provider got exactly one message or call per OTP, carrying the code.
    for digit, row in rows.items():
        deliveries = SimulatedDelivery.objects.filter(reference=f"otp:{row.pk}")
        assert deliveries.count() == 1, digit
    sms = SimulatedDelivery.objects.get(reference=f"otp:{rows['2'].pk}")
    assert (sms.channel, sms.to, sms.body) == ("sms", "+9779851023212", "Your code is 8642097531")
    refused = SimulatedDelivery.objects.get(reference=f"otp:{rows['9'].pk}")
    assert refused.body == f"Your code is {refused_code}"
    call = SimulatedDelivery.objects.get(reference=f"otp:{rows['3'].pk}")
    assert call.channel == "voice" and call.audio_url.startswith("http://testserver/audio/tts/")
    assert call.duration >= 1
    # The spoken audio (which says the code) is deleted once the call is over.
    assert not TtsRender.objects.exists()

    account.refresh_from_db()
    assert (account.credits, account.credits_held) == (98, 0)
    assert ledger.invariant_gap(user_id=account.pk) == 0
    kinds = sorted(LedgerEntry.objects.filter(user=account).exclude(kind="topup").values_list("kind", "reference"))
    assert kinds == sorted(
        [("hold", f"otp:{r.pk}") for r in rows.values()]
        + [
            ("charge", f"otp:{rows['2'].pk}"),
            ("charge", f"otp:{rows['3'].pk}"),
            ("release", f"otp:{rows['9'].pk}"),
            ("release", f"otp:{rows['8'].pk}"),
        ]
    )

    # The text OTP verifies once through the API.
    assert_envelope(client.post(VERIFY, {"number": "9851023212", "otp": text_code}, format="json"), status=200)

    # No code is anywhere in the database in clear (nor spaced as the voice speaks it),
    # except in the simulated provider's own copy of the SMS it was asked to send.
    provider_copy = {("tingting_simulateddelivery", "body")}
    for code in (text_code, voice_code):
        assert text_columns_containing(code, skip=provider_copy) == [], code
        assert text_columns_containing(codes.spaced(code), skip=provider_copy) == [], code


@pytest.mark.django_db
def test_running_the_send_twice_sends_and_charges_once(auth_client, user):
    code = send(auth_client, "9851023212")
    row = Otp.objects.get()
    sealed = codes.seal({"otp": row.pk, "code": code})
    first = services.otp_deliver(otp_id=row.pk, sealed=sealed)
    second = services.otp_deliver(otp_id=row.pk, sealed=sealed)
    assert first.status == "delivered" and second is None
    assert SimulatedDelivery.objects.filter(reference=f"otp:{row.pk}").count() == 1
    assert LedgerEntry.objects.filter(reference=f"otp:{row.pk}", kind="charge").count() == 1


@pytest.mark.django_db
def test_a_forged_or_foreign_seal_sends_nothing_and_releases(auth_client, user):
    send(auth_client, "9851023212")
    row = Otp.objects.get()
    result = services.otp_deliver(otp_id=row.pk, sealed=codes.seal({"otp": row.pk, "code": "0000000000"}))
    assert (result.status, result.billing) == ("failed", "released")
    assert not SimulatedDelivery.objects.exists()
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)


@pytest.mark.django_db
def test_replayed_and_late_reports_change_nothing(auth_client, user):
    code = send(auth_client, "9851023212")
    row = Otp.objects.get()
    services.otp_deliver(otp_id=row.pk, sealed=codes.seal({"otp": row.pk, "code": code}))
    now = timezone.now()
    for status in ("delivered", "sent", "failed", "delivered"):
        services.otp_record_report(StatusReport(f"otp:{row.pk}", "SMx", status, now))
    row.refresh_from_db()
    assert (row.status, row.billing) == ("delivered", "charged")
    assert LedgerEntry.objects.filter(reference=f"otp:{row.pk}").exclude(kind="hold").count() == 1
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (999, 0)


@pytest.mark.django_db
def test_failure_reported_after_acceptance_is_refunded(auth_client, user):
    send(auth_client, "9851023212")
    row = Otp.objects.get()
    now = timezone.now()
    services.otp_record_report(StatusReport(f"otp:{row.pk}", "SMx", "sent", now))
    services.otp_record_report(StatusReport(f"otp:{row.pk}", "SMx", "failed", now, error="carrier"))
    row.refresh_from_db()
    assert (row.status, row.billing, row.error) == ("failed", "refunded", "carrier")
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)
    assert ledger.invariant_gap(user_id=user.pk) == 0


class _DownSms(SmsBackend):
    """The provider boundary: a vendor answering 503."""

    def send(self, message):
        raise ProviderTemporaryError("503 from vendor")


@pytest.mark.django_db
def test_temporary_provider_error_puts_the_otp_back_in_the_queue(auth_client, settings):
    code = send(auth_client, "9851023212")
    row = Otp.objects.get()
    settings.SMS_BACKEND = f"{__name__}._DownSms"
    reset_backends()
    try:
        with pytest.raises(ProviderTemporaryError):
            services.otp_deliver(otp_id=row.pk, sealed=codes.seal({"otp": row.pk, "code": code}))
        row.refresh_from_db()
        assert (row.status, row.billing) == ("queued", "held")
        failed = services.otp_fail(otp_id=row.pk, error="provider unavailable")
        assert (failed.status, failed.billing) == ("failed", "released")
    finally:
        reset_backends()


@pytest.mark.django_db
def test_sweep_settles_an_otp_whose_task_was_lost(auth_client, user):
    code = send(auth_client, "9851023212")
    row = Otp.objects.get()
    assert services.otp_sweep() == {"settled": 0, "audio_purged": 0}  # too young to touch
    result = services.otp_sweep(now=timezone.now() + timedelta(minutes=3))
    assert result == {"settled": 1, "audio_purged": 0}
    row.refresh_from_db()
    assert (row.status, row.billing, row.error) == ("failed", "released", "not sent in time")
    # The lost task turning up later sends nothing.
    assert services.otp_deliver(otp_id=row.pk, sealed=codes.seal({"otp": row.pk, "code": code})) is None
    assert not SimulatedDelivery.objects.exists()
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)


@pytest.mark.django_db
def test_admin_lists_otp_sends_without_the_code(client, auth_client):
    from accounts.models import User

    code = send(auth_client, "9851023212", code="8642097531")
    staff = User.objects.create_superuser("ops@example.com", "pw")
    client.force_login(staff)
    listing = client.get("/admin/otp/otp/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "+9779851023212" in page and "queued" in page
    detail = client.get(f"/admin/otp/otp/{Otp.objects.get().pk}/change/")
    assert detail.status_code == 200
    for text in (page, detail.content.decode()):
        assert code not in text and codes.spaced(code) not in text
        assert Otp.objects.get().code_hmac not in text
