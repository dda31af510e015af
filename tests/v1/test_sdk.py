"""The acceptance test of issue 22: the official SDK (``tingting==1.0.1`` from PyPI), unchanged,
against a live server and a real Celery worker.

The SDK's import name ``tingting`` is this project's too, so it runs in a virtualenv of its
own (``var/sdk/venv``: the ``sdk_python`` fixture of tests/support/sdk.py) in a subprocess:
tests/v1/sdk/scenarios.py drives the server through the SDK and prints what the SDK saw;
this test checks that against the database and what the simulated providers did.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import requests

from campaigns.models import Campaign, FailoverSms, Recipient, Run
from tests.support.campaign_helpers import owned_number
from tests.support.factories import UserFactory
from tests.support.workers import wait_until
from tingting.models import SimulatedDelivery
from v1.services.tokens import token_generate
from voices.models import Voice

SCENARIOS = Path(__file__).parent / "sdk" / "scenarios.py"


def _run_scenarios(python: Path, base_url: str, token: str, dialer: str, cwd: Path) -> dict:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "PYTHONNOUSERSITE": "1"}
    result = subprocess.run(  # noqa: S603 - our interpreter and script
        [str(python), str(SCENARIOS), base_url, token, dialer],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_scenarios(sdk_python, live_server, celery_worker, tmp_path):
    user = UserFactory(credits=10_000)
    number = owned_number(user)
    _, token = token_generate(user=user)

    out = _run_scenarios(sdk_python, live_server.url, token, number.phone_number, tmp_path)

    # user, dialers, voices
    assert out["user"] == {"id": user.pk, "email": user.email, "username": user.email}
    assert out["dialers"] == [[number.pk, number.phone_number]]
    assert out["dialer_by_number"] == number.pk and out["dialer_by_id"] == number.phone_number
    catalogue = list(Voice.objects.filter(is_active=True).order_by("id").values_list("id", "internal_name"))
    assert [v[:2] for v in out["voices"]] == [list(row) for row in catalogue]
    prasanna = Voice.objects.get(internal_name="np_prasanna")
    assert out["voice_by_name"] == "np_prasanna" and out["voice_by_id"] == "Prasanna"

    # the campaigns, as the SDK read them back and as stored
    made = out["campaigns"]
    assert {key: c["services"] for key, c in made.items()} == {
        "plain": "PHONE",
        "phone": "PHONE",
        "sms": "SMS",
        "sms_phone": "SMS & PHONE",
        "scheduled": "SMS",
        "demo": "SMS",
    }
    assert all(c["status"] == "Not Started" for c in made.values())
    assert made["phone"]["voice"] == prasanna.pk and made["phone"]["dialers"] == [number.pk]
    assert made["sms_phone"]["failover"] == ["unanswered", "failed"]
    stored = {key: Campaign.objects.get(pk=c["id"]) for key, c in made.items()}
    assert all(c.owner_id == user.pk for c in stored.values())
    assert stored["phone"].voice_input == "np_prasanna" and stored["phone"].message == "नमस्ते {tags_name}"
    assert stored["sms"].sms_message == "Hello from the SDK"
    assert stored["sms_phone"].failover_target == ["unanswered", "failed"]
    assert stored["scheduled"].schedule == datetime.fromisoformat(made["scheduled"]["schedule"])

    # contacts: server ids, E.164 numbers, carriers
    for key, contacts in out["contacts"].items():
        for contact in contacts:
            row = Recipient.objects.get(pk=contact["id"])
            assert row.campaign_id == made[key]["id"] and row.number == contact["number"]
            assert row.tags == {"tags_name": "Ram", "tags_age": 30}
            assert contact["status"] == "not started"
    assert out["contacts"]["phone"][1]["carrier"] == "Ncell" and out["contacts"]["scheduled"][0]["carrier"] == "Smart"

    # lists, filters, get, update
    assert out["listed"] == sorted(
        ["SDK plain", "SDK phone", "SDK sms", "SDK sms and phone", "SDK scheduled", "SDK demo"]
    )
    assert out["by_name"] == [made["sms_phone"]["id"]]
    assert len(out["filtered"]) == 6
    assert out["fetched"] == "SDK phone" and out["renamed"] == "SDK plain renamed"

    # test voice: a JSON string holding the MP3's URL, served by the live server
    url = json.loads(out["test_voice"])
    audio = requests.get(url, timeout=30)
    assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/mpeg" and len(audio.content) > 500

    # run: scheduled then stopped; the others dispatched by the worker to their outcomes
    assert out["scheduled_status"] == "Scheduled" and out["stopped_status"] == "Terminated"
    wait_until(lambda: not Run.objects.filter(finished_at__isnull=True).exists(), timeout=180, message="runs finish")
    statuses = dict(Recipient.objects.filter(campaign__owner=user).values_list("number", "status"))
    assert statuses == {
        "+9779841000001": "completed",
        "+9779841000002": "completed",
        "+9779801000003": "completed",
        "+9779851000004": "completed",
        "+9779841000005": "completed",
        "+9779801000008": "unanswered",
        "+9779611000006": "terminated",
        "+9779841000010": "completed",
    }
    # SMS & PHONE: the unanswered call was followed by its SMS, once (simulated: ...8 expires, charged).
    wait_until(
        lambda: FailoverSms.objects.filter(status__in=FailoverSms.FINAL).exists(), timeout=60, message="failover SMS"
    )
    failover = FailoverSms.objects.get()
    assert failover.to == "+9779801000008" and failover.text == "We called you" and failover.status == "failed"
    sent = SimulatedDelivery.objects.filter(channel="sms", reference=failover.reference)
    assert list(sent.values_list("body", flat=True)) == ["We called you"]
    assert Recipient.objects.get(number="+9779801000008", campaign__owner=user).sms_credit_consumed == 1
    user.refresh_from_db()
    assert user.credits_held == 0 and user.credits < 10_000
