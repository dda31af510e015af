"""The staff console (admin) from a staff member's side: branding and grouping, the
live progress JSON (same numbers as the API, constant queries), pause / resume /
cancel through the API's services and messages, caller-ID checks by the API's service."""

from __future__ import annotations

import pytest
from django.test import Client

from campaigns.models import Run
from campaigns.services.begin import run_begin
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients

pytestmark = pytest.mark.django_db


def api_progress(auth_client, campaign) -> dict:
    return auth_client.get(f"/api/system/campaigns/{campaign.pk}/progress/").json()["data"]["progress"]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Site: branding, time zone, Platform group ---------------------------------------


def test_index_is_branded_and_groups_platform_tables_last(staff_client):
    response = staff_client.get("/admin/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tingting" in page and "Django administration" not in page and "Django site admin" not in page
    names = [app["name"] for app in response.context["app_list"]]
    assert names[-1] == "Platform" and names.count("Platform") == 1
    platform = {model["object_name"] for model in response.context["app_list"][-1]["models"]}
    assert {"IdempotencyRecord", "WebhookEvent", "SimulatedDelivery", "OutstandingToken"} <= platform
    business = {model["object_name"] for app in response.context["app_list"][:-1] for model in app["models"]}
    assert "Campaign" in business and not business & platform


def test_timestamps_are_in_the_staff_accounts_zone(user):
    staff = UserFactory(is_staff=True, is_superuser=True, time_zone="America/New_York")
    campaign = campaign_with_recipients(user, 1, name="Zoned")
    client = Client()
    client.force_login(staff)
    page = client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "Times in America/New_York" in page
    from zoneinfo import ZoneInfo

    from django.utils.formats import date_format

    local = campaign.created_at.astimezone(ZoneInfo("America/New_York"))
    assert date_format(local, "DATETIME_FORMAT") in page


# --- Live progress ---------------------------------------------------------------------


def test_progress_json_has_the_apis_numbers_and_the_bars(staff_client, auth_client, user):
    campaign = campaign_with_recipients(user, 12, message="Rain")
    run = run_begin(user=user, campaign_id=campaign.pk)
    data = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/progress/").json()
    assert {key: data[key] for key in api_progress(auth_client, campaign)} == api_progress(auth_client, campaign)
    assert (data["state"], data["queued"], data["done"], data["percent"], data["is_active"]) == (
        "running",
        12,
        0,
        0.0,
        True,
    )
    assert data["credits"]["held"] == 12
    same_run = staff_client.get(f"/admin/campaigns/run/{run.pk}/progress/").json()
    assert same_run == data


@pytest.mark.parametrize("kind", ["campaign", "run"])
def test_progress_refresh_costs_the_same_queries_at_one_and_2000_recipients(
    staff_client, user, kind, django_assert_num_queries
):
    user.credits = 10_000
    user.save(update_fields=["credits"])
    counts = []
    for size in (1, 2000):
        campaign = campaign_with_recipients(user, size, message="x")
        run = run_begin(user=user, campaign_id=campaign.pk)
        url = f"/admin/campaigns/{kind}/{campaign.pk if kind == 'campaign' else run.pk}/progress/"
        staff_client.get(url)  # session warm
        with django_assert_num_queries(3 if kind == "run" else 4) as captured:
            assert staff_client.get(url).json()["total"] == size
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("kind", ["campaign", "run"])
def test_list_refresh_is_one_request_with_constant_queries(staff_client, user, kind, django_assert_num_queries):
    user.credits = 10_000
    user.save(update_fields=["credits"])
    keys = []
    counts = []
    for size in (1, 50, 700):
        campaign = campaign_with_recipients(user, size, message="x")
        run = run_begin(user=user, campaign_id=campaign.pk)
        keys.append(campaign.pk if kind == "campaign" else run.pk)
        url = f"/admin/campaigns/{kind}/progress/?ids={','.join(map(str, keys))},junk,-4,99999999999999999999"
        staff_client.get(url)
        with django_assert_num_queries(3) as captured:
            data = staff_client.get(url).json()
        counts.append(len(captured))
        assert sorted(data) == sorted(str(key) for key in keys)
        assert data[str(keys[-1])]["total"] == size and data[str(keys[-1])]["queued"] == size
    assert counts[0] == counts[-1]


def test_progress_json_is_staff_only_and_404_for_unknown_ids(user, staff_client):
    campaign = campaign_with_recipients(user, 1)
    client = Client()
    client.force_login(user)  # an account, not staff
    response = client.get(f"/admin/campaigns/campaign/{campaign.pk}/progress/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert staff_client.get("/admin/campaigns/campaign/99999999/progress/").status_code == 404
    assert staff_client.get("/admin/campaigns/run/99999999/progress/").status_code == 404


@pytest.mark.parametrize("url", ["/admin/campaigns/campaign/", "/admin/campaigns/run/"])
def test_lists_show_bars_with_constant_queries(staff_client, user, url, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user.credits = 10_000
    user.save(update_fields=["credits"])
    campaign_with_recipients(user, 3, name="Never begun")
    counts = []
    for sizes in ((1,), (40, 7, 300)):
        for size in sizes:
            run_begin(user=user, campaign_id=campaign_with_recipients(user, size, message="hi").pk)
        staff_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            page = staff_client.get(url).content.decode()
        counts.append(len(captured))
        assert page.count('class="tt-progress tt-compact"') >= 1 + len(sizes) - 1, url
    assert counts[0] == counts[1], counts
    assert 'data-tt="total">40</span>' in page and 'data-tt="total">300</span>' in page


@pytest.mark.parametrize(
    "url", ["/admin/campaigns/recipient/", "/admin/surveys/surveycampaign/", "/admin/accounts/ledgerentry/"]
)
def test_other_main_lists_cost_the_same_queries_at_a_few_rows_and_a_page(staff_client, user, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.support.surveys import survey_campaign

    user.credits = 10_000
    user.save(update_fields=["credits"])
    counts = []
    for campaigns in (1, 6):
        for _ in range(campaigns):
            run_begin(user=user, campaign_id=campaign_with_recipients(user, 20, message="hi").pk)
            survey_campaign(user, recipients=2)
        staff_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("page", ["campaign", "run"])
def test_campaign_and_run_pages_cost_the_same_queries_at_5_and_500_recipients(staff_client, user, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (5, 500):
        campaign = campaign_with_recipients(user, size, message="hi")
        run = run_begin(user=user, campaign_id=campaign.pk)
        url = f"/admin/campaigns/{page}/{campaign.pk if page == 'campaign' else run.pk}/change/"
        staff_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


# --- Control ---------------------------------------------------------------------------


def test_pause_resume_cancel_buttons_use_the_apis_services_and_messages(staff_client, auth_client, user):
    campaign = campaign_with_recipients(user, 5, message="hi")
    run_begin(user=user, campaign_id=campaign.pk)
    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert 'id="tt-pause"' in page and 'id="tt-cancel"' in page and 'id="tt-resume"' not in page
    base = f"/admin/campaigns/campaign/{campaign.pk}/control"

    response = staff_client.post(f"{base}/pause/", follow=True)
    assert messages_of(response) == [f"{campaign.name}: Campaign paused."]
    assert api_progress(auth_client, campaign)["state"] == "paused"
    again = staff_client.post(f"{base}/pause/", follow=True)
    assert messages_of(again) == [f"{campaign.name}: The run is paused; only a running run can be paused."]

    assert messages_of(staff_client.post(f"{base}/resume/", follow=True)) == [f"{campaign.name}: Campaign resumed."]
    assert api_progress(auth_client, campaign)["state"] == "running"
    assert messages_of(staff_client.post(f"{base}/cancel/", follow=True)) == [f"{campaign.name}: Campaign cancelled."]
    assert api_progress(auth_client, campaign)["state"] == "cancelled"
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)
    twice = staff_client.post(f"{base}/cancel/", follow=True)
    assert messages_of(twice) == [f"{campaign.name}: The run is already cancelled."]


def test_control_needs_post_and_a_known_action(staff_client, user):
    campaign = campaign_with_recipients(user, 1)
    assert staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/control/pause/").status_code == 405
    assert staff_client.post(f"/admin/campaigns/campaign/{campaign.pk}/control/explode/").status_code == 404
    assert staff_client.post("/admin/campaigns/campaign/99999999/control/pause/").status_code == 404


def test_run_page_controls_only_its_own_run(staff_client, user):
    campaign = campaign_with_recipients(user, 3, message="hi")
    old = run_begin(user=user, campaign_id=campaign.pk)
    cancelled = staff_client.post(f"/admin/campaigns/run/{old.pk}/control/cancel/", follow=True)
    assert messages_of(cancelled) == [f"Run {old.pk}: Campaign cancelled."]
    Run.objects.filter(pk=old.pk).update(finished_at=old.created_at)  # as the finisher would
    new = run_begin(user=user, campaign_id=campaign.pk, statuses=["terminated"])
    response = staff_client.post(f"/admin/campaigns/run/{old.pk}/control/pause/", follow=True)
    assert messages_of(response) == [f"Run {old.pk}: The run has already finished."]
    assert Run.objects.get(pk=new.pk).state == "running"
    response = staff_client.post(f"/admin/campaigns/run/{new.pk}/control/pause/", follow=True)
    assert messages_of(response) == [f"Run {new.pk}: Campaign paused."]


def test_list_actions_pause_and_resume_each_selected(staff_client, user):
    first = campaign_with_recipients(user, 2, message="a")
    second = campaign_with_recipients(user, 2, message="b")
    idle = campaign_with_recipients(user, 2, name="Idle")
    for campaign in (first, second):
        run_begin(user=user, campaign_id=campaign.pk)
    response = staff_client.post(
        "/admin/campaigns/campaign/",
        {"action": "pause_selected", "_selected_action": [first.pk, second.pk, idle.pk]},
        follow=True,
    )
    assert messages_of(response) == ["Idle: The campaign has no run in progress.", "Campaign paused. (2)"]
    assert set(Run.objects.values_list("state", flat=True)) == {"paused"}
    runs = list(Run.objects.values_list("pk", flat=True))
    response = staff_client.post(
        "/admin/campaigns/run/", {"action": "resume_selected", "_selected_action": runs}, follow=True
    )
    assert messages_of(response) == ["Campaign resumed. (2)"]
    assert set(Run.objects.values_list("state", flat=True)) == {"running"}


# --- Forms: caller IDs, running rules, create, recipients ------------------------------


def change_form(campaign, **fields) -> dict:
    """The campaign change form as a browser posts it (the read-only recipient inline's
    management form included)."""
    data = {
        "name": campaign.name,
        "services": campaign.services,
        "description": campaign.description,
        "recipients-TOTAL_FORMS": "0",
        "recipients-INITIAL_FORMS": "0",
        "recipients-MIN_NUM_FORMS": "0",
        "recipients-MAX_NUM_FORMS": "0",
        "_continue": "1",
    }
    data.update(fields)
    return data


@pytest.fixture
def numbers(user, other_user):
    from phonenumbers_app.models import PhoneNumber

    def number(phone, owner, **capabilities):
        return PhoneNumber.objects.create(phone_number=phone, owner=owner, rate=1, **capabilities)

    return {
        "sms": number("+9779851000001", user, has_voice=False, has_sms=True),
        "voice": number("+9779851000002", user, has_voice=True, has_sms=False),
        "foreign": number("+9779851000003", other_user, has_voice=True, has_sms=True),
        "unowned": number("+9779851000004", None, has_voice=True, has_sms=True),
    }


def test_caller_id_picker_offers_only_the_owners_numbers_with_the_capability(staff_client, user, numbers):
    campaign = campaign_with_recipients(user, 1, services="SMS")
    response = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    form = response.context["adminform"].form
    assert set(form.fields) == {"name", "services", "description", "user_phone"}  # the rest is read-only
    offered = [value for value, _ in form.fields["user_phone"].choices]
    assert offered == ["+9779851000001"]


def test_another_accounts_number_gets_the_apis_error(staff_client, auth_client, user, numbers):
    campaign = campaign_with_recipients(user, 1, services="SMS")
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    response = staff_client.post(url, change_form(campaign, user_phone=["+9779851000003"]), follow=True)
    api = auth_client.patch(
        f"/api/system/campaigns/{campaign.pk}/update/", {"user_phone": ["+9779851000003"]}, format="json"
    )
    assert api.status_code == 400
    assert messages_of(response) == [api.json()["message"]]
    assert "'+9779851000003' is not one of your numbers with sms capability." in messages_of(response)[0]
    assert list(campaign.user_phone.all()) == []

    response = staff_client.post(url, change_form(campaign, user_phone=["+9779851000001"]), follow=True)
    assert response.status_code == 200
    assert [n.phone_number for n in campaign.user_phone.all()] == ["+9779851000001"]


def test_a_running_campaigns_service_change_is_refused_with_the_apis_message(staff_client, user):
    campaign = campaign_with_recipients(user, 2, services="SMS", message="hi")
    run_begin(user=user, campaign_id=campaign.pk)
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    response = staff_client.post(url, change_form(campaign, services="PHONE", name="Renamed"), follow=True)
    assert messages_of(response) == ["The campaign is running; its service cannot change now."]
    campaign.refresh_from_db()
    assert (campaign.services, campaign.name) != ("PHONE", "Renamed")


def test_create_goes_through_the_service(staff_client, user):
    from campaigns.models import Campaign

    form = {
        "owner": user.pk,
        "name": "From the console",
        "services": "SMS",
        "description": "",
        "individual_number": "9800000001\n9800000002, 9800000001",
    }
    response = staff_client.post("/admin/campaigns/campaign/add/", form, follow=True)
    campaign = Campaign.objects.get(name="From the console")
    assert campaign.owner == user
    assert sorted(campaign.recipients.values_list("number", flat=True)) == ["+9779800000001", "+9779800000002"]
    assert "Recipients imported: 2 added, 1 duplicates, 0 invalid." in messages_of(response)
    bad = staff_client.post("/admin/campaigns/campaign/add/", {**form, "individual_number": "12"}, follow=True)
    assert bad.status_code == 200 and "individual_number" in messages_of(bad)[0]


def test_recipient_page_shows_tags_as_text_and_its_attempts(staff_client, user):
    campaign = campaign_with_recipients(user, 1, message="नमस्ते {name}", tags={"name": "राम", "ward": "५"})
    campaign.usable_tags = ["name", "ward"]
    campaign.save(update_fields=["usable_tags"])
    run = run_begin(user=user, campaign_id=campaign.pk)
    recipient = campaign.recipients.get()
    page = staff_client.get(f"/admin/campaigns/recipient/{recipient.pk}/change/").content.decode()
    assert "<tr><th>name</th><td>राम</td></tr>" in page and "\\u" not in page
    assert f"run {run.pk}</a></td><td>queued</td>" in page
    inline = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert '<span class="tt-tag">name: राम</span>' in inline


# --- Begin and re-run from the console --------------------------------------------------


def begin_url(campaign) -> str:
    return f"/admin/campaigns/campaign/{campaign.pk}/begin/"


@pytest.mark.parametrize(
    ("services", "fields"),
    [
        ("SMS", {"message": "Rain is coming"}),
        ("SMS", {"message": "नमस्ते {name}, " + "पानी " * 30}),
        ("PHONE", {"message": "Rain is coming", "voice_input": "np_binod", "length_factor": "1.5"}),
    ],
)
def test_begin_shows_and_takes_the_same_hold_as_the_api(staff_client, auth_client, user, services, fields):
    def tagged(index):
        return {"name": "राम" * (index + 1)}

    console = campaign_with_recipients(user, 6, services=services, tags=tagged, usable_tags=["name"])
    api = campaign_with_recipients(user, 6, services=services, tags=tagged, usable_tags=["name"])
    preview = staff_client.post(begin_url(console), {**fields, "preview": "1"}).json()
    assert (preview["targets"], preview["available"], preview["enough"]) == (6, 1000, True)

    response = staff_client.post(begin_url(console), {**fields, "confirm": "1"}, follow=True)
    api_body = auth_client.post(f"/api/system/campaigns/{api.pk}/begin/", fields, format="json").json()
    console_run, api_run = Run.objects.get(campaign=console), Run.objects.get(campaign=api)
    assert preview["hold"] == console_run.hold_amount == api_run.hold_amount > 0
    assert messages_of(response) == [
        f"{api_body['message']} {api_body['data']['hold amount'].replace(api.name, console.name)}"
    ]
    assert response.redirect_chain[-1][0] == f"/admin/campaigns/campaign/{console.pk}/change/"


def test_rerun_takes_the_statuses_and_a_schedule_in_the_owners_zone(staff_client, user):
    from campaigns.models import Recipient

    campaign = campaign_with_recipients(user, 4, message="hi")
    campaign.recipients.filter(pk__in=list(campaign.recipients.values_list("pk", flat=True)[:3])).update(
        status=Recipient.Status.FAILED
    )
    fields = {"status": ["failed", "hungup"], "schedule_date": "2099-01-02T09:30"}
    assert staff_client.post(begin_url(campaign), {**fields, "preview": "1"}).json()["targets"] == 3
    response = staff_client.post(begin_url(campaign), {**fields, "confirm": "1"}, follow=True)
    run = Run.objects.get(campaign=campaign)
    assert (run.state, run.total) == ("scheduled", 3)
    assert messages_of(response)[0].startswith("Campaign scheduled for 2099-01-02T09:30:00+05:45 ")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"status": ["bogus"]}, "status.0", "'bogus' is not one of hungup, unanswered, failed, terminated, completed."),
        ({"priority": "audio"}, "priority", "An SMS campaign sends its message; priority 'audio' does not apply."),
        (
            {"message": "hi {nope}"},
            "message",
            "message uses placeholders that are not usable tags of this campaign: {nope}. "
            "Usable tags: none (the campaign has no tags).",
        ),
        ({"schedule_date": "2001-01-01T00:00"}, "schedule_date", "Must be in the future."),
    ],
)
def test_begin_refusals_show_the_apis_message(staff_client, auth_client, user, fields, field, message):
    campaign = campaign_with_recipients(user, 2, message="stored")
    api = auth_client.post(f"/api/system/campaigns/{campaign.pk}/begin/", fields, format="json").json()
    assert {"field": field, "message": message} in [{k: e[k] for k in ("field", "message")} for e in api["errors"]]
    preview = staff_client.post(begin_url(campaign), {**fields, "preview": "1"})
    assert preview.status_code == 400 and preview.json()["errors"] == [{"field": field, "message": message}]
    page = staff_client.post(begin_url(campaign), {**fields, "confirm": "1"})
    assert page.status_code == 200 and page.context["errors"] in ([f"{field}: {message}"], [message])
    assert not Run.objects.filter(campaign=campaign).exists()


def test_begin_without_credits_shows_the_402_message(staff_client):
    poor = UserFactory(credits=1)
    campaign = campaign_with_recipients(poor, 3, message="hi")
    preview = staff_client.post(begin_url(campaign), {"preview": "1"}).json()
    assert (preview["hold"], preview["enough"]) == (3, False)
    page = staff_client.post(begin_url(campaign), {"confirm": "1"}).content.decode()
    assert "credits" in page and 'class="errorlist"' in page
    assert not Run.objects.filter(campaign=campaign).exists()


# --- Listen and download ----------------------------------------------------------------


def test_test_voice_answers_a_wav_for_any_voice_and_length_factor(staff_client, user):
    campaign = campaign_with_recipients(user, 1, services="PHONE", message="नमस्ते")
    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert 'id="tt-voice-play"' in page and "<audio" in page
    url = f"/admin/campaigns/campaign/{campaign.pk}/test-voice/"
    short = staff_client.post(url, {"message": "नमस्ते साथी", "voice_input": "np_binod", "length_factor": "0.8"}).json()
    long = staff_client.post(url, {"message": "नमस्ते साथी", "voice_input": "np_binod", "length_factor": "1.6"}).json()
    assert long["duration"] > short["duration"] > 0
    audio = Client().get(short["audio_url"])
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    assert b"".join(audio.streaming_content)[:4] == b"RIFF"
    bad = staff_client.post(url, {"message": "x", "voice_input": "nobody"})
    assert bad.status_code == 400 and bad.json()["errors"][0].startswith("voice_input: ")
    assert staff_client.get(url).status_code == 405


def test_report_buttons_download_the_apis_reports(staff_client, auth_client, user):
    campaign = campaign_with_recipients(user, 3, message="hi", tags={"name": "सीता"})
    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert 'id="tt-report-xlsx"' in page and 'id="tt-report-csv"' in page
    base = f"/admin/campaigns/campaign/{campaign.pk}/report"
    xlsx = staff_client.get(f"{base}/xlsx/")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(xlsx.streaming_content)[:2] == b"PK"
    csv = staff_client.get(f"{base}/csv/")
    api = auth_client.get(f"/api/system/campaigns/report/download/?campaign_id={campaign.pk}&format=csv")
    assert csv["Content-Disposition"].startswith("attachment; filename=")
    assert b"".join(csv.streaming_content) == b"".join(api.streaming_content)
    assert staff_client.get(f"{base}/pdf/").status_code == 404


def test_recipient_audio_is_what_its_call_plays(staff_client, user):
    campaign = campaign_with_recipients(user, 2, services="PHONE", message="नमस्ते")
    run = run_begin(user=user, campaign_id=campaign.pk)
    recipient = campaign.recipients.first()
    page = staff_client.get(f"/admin/campaigns/recipient/{recipient.pk}/change/").content.decode()
    assert f'src="/admin/campaigns/recipient/{recipient.pk}/audio/"' in page
    audio = staff_client.get(f"/admin/campaigns/recipient/{recipient.pk}/audio/")
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    from django.core.files.storage import default_storage

    assert b"".join(audio.streaming_content) == default_storage.open(run.audio_name).read()
    sms = campaign_with_recipients(user, 1, message="hi").recipients.get()
    assert staff_client.get(f"/admin/campaigns/recipient/{sms.pk}/audio/").status_code == 404


# --- The operator's front page ----------------------------------------------------------


def figure(page: str, label: str) -> str:
    import re

    found = re.search(rf'data-figure="{label}">([^<]*)<', page)
    assert found, label
    return found.group(1)


def test_front_page_shows_today_in_progress_credits_providers_and_stuck_work(staff_client, user):
    from datetime import timedelta

    from django.utils import timezone

    from accounts import ledger

    ledger.top_up(user_id=user.pk, amount=250, note="invoice")
    sms = campaign_with_recipients(user, 4, message="hi", name="Morning SMS")
    run = run_begin(user=user, campaign_id=sms.pk)
    scheduled = campaign_with_recipients(user, 2, message="later", name="Evening SMS")
    run_begin(user=user, campaign_id=scheduled.pk, schedule_at=timezone.now() + timedelta(hours=2))
    now = timezone.now()
    attempts = list(run.attempts.order_by("id"))
    Attempt = type(attempts[0])
    Attempt.objects.filter(pk=attempts[0].pk).update(status="completed", submitted_at=now, charged=1)
    Attempt.objects.filter(pk=attempts[1].pk).update(status="failed", submitted_at=now)
    Attempt.objects.filter(pk=attempts[2].pk).update(status="sending", claimed_at=now - timedelta(minutes=10))
    ledger.charge(user_id=user.pk, amount=1, from_held=True, idempotency_key="t:charge")

    page = staff_client.get("/admin/").content.decode()
    assert [figure(page, name) for name in ("sms-sent", "sms-delivered", "calls-placed")] == ["2", "1", "0"]
    assert figure(page, "failed") == "1 (50.0%)"
    assert "Morning SMS" in page and "Evening SMS" in page
    assert page.count('class="tt-progress tt-compact"') == 2
    assert (figure(page, "sold-today"), figure(page, "used-today")) == ("1250", "1")
    assert figure(page, "on-hold-now") == str(4 + 2 - 1)
    assert "no failover configured" in page and figure(page, "provider-errors-last-hour") == "0 of 0 (—)"
    assert figure(page, "claimed-unsent-120-s") == "1"
    assert figure(page, "queued-unclaimed-120-s") == "0"


def test_front_page_shows_todays_messages_and_otps_and_those_stuck(staff_client, user, settings):
    """Stuck work covers messages too: Tling messages and OTP sends past the timeouts
    their sweeps act on."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from otp.models import Otp
    from tling.models import Message

    def message(**fields):
        return Message.objects.create(
            owner=user,
            batch=uuid.uuid4(),
            phone_code="977",
            phone_national="9800000001",
            text="hi",
            segments=1,
            credits=1,
            **fields,
        )

    long_ago = timezone.now() - timedelta(
        seconds=max(settings.TLING_STALE_SECONDS, settings.TLING_STUCK_SENDING_SECONDS, settings.OTP_STUCK_SECONDS) + 60
    )
    message(status="delivered", status_rank=4)
    message(status="failed", status_rank=4)
    Message.objects.filter(pk=message(status="created").pk).update(created_at=long_ago)
    Message.objects.filter(pk=message(status="queued", status_rank=1).pk).update(updated_at=long_ago)
    message(status="queued", status_rank=1, claimed_at=long_ago)
    otp = {
        "number": "+9779800000001",
        "channel": "text",
        "otp_options": "numeric",
        "message_template": "{otp}",
        "code_length": 4,
        "code_salt": "s",
        "code_hmac": "h",
        "price": 1,
        "expires_at": timezone.now(),
    }
    Otp.objects.create(user=user, status="delivered", verified_at=timezone.now(), **otp)
    Otp.objects.filter(pk=Otp.objects.create(user=user, status="sending", **otp).pk).update(created_at=long_ago)

    page = staff_client.get("/admin/").content.decode()
    assert 'id="panel-messages"' in page and 'id="panel-otp"' in page
    assert [figure(page, name) for name in ("messages-today", "messages-delivered", "messages-failed")] == [
        "5",
        "1",
        "1",
    ]
    assert figure(page, f"messages-not-queued-{settings.TLING_STALE_SECONDS}-s") == "1"
    assert figure(page, f"messages-queued-unclaimed-{settings.TLING_STALE_SECONDS}-s") == "1"
    assert figure(page, f"messages-claimed-unsent-{settings.TLING_STUCK_SENDING_SECONDS}-s") == "1"
    assert (figure(page, "otps-today"), figure(page, "otps-verified")) == ("2", "1")
    assert figure(page, f"otps-queued-or-sending-{settings.OTP_STUCK_SECONDS}-s") == "1"


def test_front_page_queries_do_not_grow_with_runs(staff_client, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user.credits = 10_000
    user.save(update_fields=["credits"])
    counts = []
    for extra in (1, 5):
        for _ in range(extra):
            run_begin(user=user, campaign_id=campaign_with_recipients(user, 30, message="x").pk)
        staff_client.get("/admin/")
        with CaptureQueriesContext(connection) as captured:
            staff_client.get("/admin/")
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_delete_goes_through_the_service(staff_client, user):
    from campaigns.models import Campaign

    running = campaign_with_recipients(user, 3, message="hi", name="Busy")
    run_begin(user=user, campaign_id=running.pk)
    url = f"/admin/campaigns/campaign/{running.pk}/delete/"
    confirm = staff_client.get(url).content.decode()
    assert "Busy" in confirm and "Recipients: 3" in confirm
    refused = staff_client.post(url, {"post": "yes"}, follow=True)
    assert messages_of(refused) == ["The campaign is running; cancel it before deleting."]
    assert refused.redirect_chain[-1][0] == f"/admin/campaigns/campaign/{running.pk}/change/"
    assert Campaign.objects.filter(pk=running.pk).exists()
    idle = campaign_with_recipients(user, 2, name="Idle")
    staff_client.post(f"/admin/campaigns/campaign/{idle.pk}/delete/", {"post": "yes"})
    assert not Campaign.objects.filter(pk=idle.pk).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/campaigns/campaign/{huge}/progress/"),
        ("get", "/admin/campaigns/run/{huge}/progress/"),
        ("post", "/admin/campaigns/campaign/{huge}/control/pause/"),
        ("post", "/admin/campaigns/run/{huge}/control/cancel/"),
        ("get", "/admin/campaigns/campaign/{huge}/begin/"),
        ("post", "/admin/campaigns/campaign/{huge}/test-voice/"),
        ("get", "/admin/campaigns/campaign/{huge}/report/csv/"),
        ("get", "/admin/campaigns/recipient/{huge}/audio/"),
    ],
)
def test_ids_past_bigint_are_404_not_500(staff_client, method, path):
    response = getattr(staff_client, method)(path.format(huge=10**20))
    assert response.status_code == 404


def test_a_recipient_page_past_every_row_is_empty_not_500(staff_client, user):
    campaign = campaign_with_recipients(user, 2)
    response = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/?recipients_page=99999999999999999999")
    assert response.status_code == 200 and "+9779800000000" not in response.content.decode()


def test_import_report_reads_as_text(staff_client, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("list.csv", "number,name\n9800000001,राम\nabc,x\n".encode(), content_type="text/csv")
    form = {"owner": user.pk, "name": "Imported", "services": "SMS", "description": "", "send_to_number_file": upload}
    response = staff_client.post("/admin/campaigns/campaign/add/", form, follow=True)
    assert "Recipients imported: 1 added, 0 duplicates, 1 invalid." in messages_of(response)
    from campaigns.models import Campaign

    campaign = Campaign.objects.get(name="Imported")
    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "Recipients imported: 1 added, 0 duplicates, 1 invalid. (done)" in page
    import re

    assert re.search(r"<li>row \d+: abc — [^<]+</li>", page), page[page.find("field-import_summary") :][:1500]
    assert "tags_name" in page


def test_a_voice_added_to_the_catalogue_is_offered_and_plays(staff_client, user):
    from voices.models import Voice
    from voices.services import voice_save

    voice_save(voice=Voice(display_name="Kiran", internal_name="np_kiran", espeak_rate=140))
    campaign = campaign_with_recipients(user, 1, services="PHONE", message="नमस्ते")
    begin = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/begin/")
    assert "np_kiran" in [value for value, _ in begin.context["form"].fields["voice_input"].choices]
    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert '<option value="np_kiran">np_kiran</option>' in page
    played = staff_client.post(
        f"/admin/campaigns/campaign/{campaign.pk}/test-voice/", {"message": "नमस्ते", "voice_input": "np_kiran"}
    )
    assert played.status_code == 200 and played.json()["duration"] > 0


def test_staff_without_permissions_can_neither_read_nor_steer(user):
    from django.contrib.auth.models import Permission

    campaign = campaign_with_recipients(user, 2, message="hi")
    run = run_begin(user=user, campaign_id=campaign.pk)
    clerk = UserFactory(is_staff=True)
    client = Client()
    client.force_login(clerk)
    for url in (
        f"/admin/campaigns/campaign/{campaign.pk}/progress/",
        f"/admin/campaigns/run/{run.pk}/progress/",
        f"/admin/campaigns/campaign/progress/?ids={campaign.pk}",
        f"/admin/campaigns/campaign/{campaign.pk}/report/csv/",
        f"/admin/campaigns/campaign/{campaign.pk}/begin/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/campaigns/campaign/{campaign.pk}/control/pause/").status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(clerk)
    assert client.get(f"/admin/campaigns/campaign/{campaign.pk}/progress/").status_code == 200
    assert client.post(f"/admin/campaigns/campaign/{campaign.pk}/control/pause/").status_code == 403
    assert Run.objects.get(pk=run.pk).state == "running"


def test_begin_with_an_audio_file_holds_what_the_api_holds(staff_client, auth_client, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.support.audio import wav_file

    console = campaign_with_recipients(user, 3, services="PHONE")
    api = campaign_with_recipients(user, 3, services="PHONE")

    def upload():
        return SimpleUploadedFile("notice.wav", wav_file(45), content_type="audio/wav")

    preview = staff_client.post(
        f"/admin/campaigns/campaign/{console.pk}/begin/", {"aud_file": upload(), "preview": "1"}
    )
    staff_client.post(f"/admin/campaigns/campaign/{console.pk}/begin/", {"aud_file": upload(), "confirm": "1"})
    auth_client.post(f"/api/system/campaigns/{api.pk}/begin/", {"aud_file": upload()}, format="multipart")
    console_run, api_run = Run.objects.get(campaign=console), Run.objects.get(campaign=api)
    assert preview.json()["hold"] == console_run.hold_amount == api_run.hold_amount == 3 * 2  # 45 s = 2 pulses
    assert console_run.content == "audio" and console_run.audio_seconds == api_run.audio_seconds
