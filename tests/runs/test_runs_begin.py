"""POST /api/system/campaigns/<id>/begin/: envelope, hold, targets, schedule, bad input."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import LedgerEntry
from campaigns.models import Attempt, Campaign, Recipient, Run
from tests.support.campaign_helpers import begin_url, wav_upload
from tests.support.envelope import assert_envelope, assert_error
from tests.support.factories_campaigns import add_recipients, campaign_with_recipients
from tingting.voice.render import account_scope, render_cached

pytestmark = pytest.mark.django_db


def test_begin_sms_holds_the_estimate_and_queues_every_recipient(auth_client, user):
    campaign = campaign_with_recipients(user, 12, name="Dashain")
    response = auth_client.post(begin_url(campaign), {"message": "Happy Dashain"}, format="json")

    body = assert_envelope(response, status=200, message="Campaign is running!!")
    assert body["data"] == {"hold amount": "12 credits on hold for Dashain campaign."}
    run = Run.objects.get(campaign=campaign)
    assert (run.state, run.kind, run.content, run.total, run.hold_amount) == ("running", "sms", "message", 12, 12)
    assert Attempt.objects.filter(run=run, status="queued").count() == 12
    assert set(Recipient.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"queued"}
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (988, 12)
    assert LedgerEntry.objects.get(user=user, kind="hold").idempotency_key == f"run:{run.pk}:hold"
    campaign.refresh_from_db()
    assert campaign.message == "Happy Dashain"


def test_begin_without_trailing_slash_works_too(auth_client, user):
    campaign = campaign_with_recipients(user, 1)
    response = auth_client.post(begin_url(campaign).rstrip("/"), {"message": "hi"}, format="json")
    assert_envelope(response, status=200)


def test_sms_hold_counts_segments_of_each_personalised_text(auth_client, user):
    campaign = campaign_with_recipients(
        user, 3, usable_tags=["tags_name"], tags=lambda i: {"tags_name": "x" * (160 * i)}
    )
    response = auth_client.post(begin_url(campaign), {"message": "Hi {tags_name}!"}, format="json")
    assert_envelope(response, status=200)
    shares = list(Attempt.objects.order_by("id").values_list("share", "text"))
    # 4, 164 and 324 characters of GSM-7: 1, 2 and 3 segments.
    assert [share for share, _ in shares] == [1, 2, 3]
    assert shares[0][1] == "Hi!" and shares[1][1] == "Hi " + "x" * 160 + "!"
    assert Run.objects.get().hold_amount == 6


def test_unicode_sms_uses_ucs2_segments_and_the_account_rate(auth_client, user):
    user.sms_credits_per_segment = 3
    user.save(update_fields=["sms_credits_per_segment"])
    campaign = campaign_with_recipients(user, 2)
    response = auth_client.post(begin_url(campaign), {"message": "न" * 71}, format="json")
    assert_envelope(response, status=200)
    assert Run.objects.get().hold_amount == 2 * 2 * 3


def test_voice_hold_is_pulses_of_the_rendered_audio(auth_client, user, settings):
    campaign = campaign_with_recipients(user, 4, services=Campaign.Services.PHONE, name="Call")
    text = "नमस्ते " * 80
    response = auth_client.post(
        begin_url(campaign),
        {"message": text, "voice_input": "np_prashanna", "length_factor": "1.5"},
        format="json",
    )
    body = assert_envelope(response, status=200)
    seconds = render_cached(text=text, voice="np_prasanna", length_factor=1.5, scope=account_scope(user.pk)).duration
    per_call = math.ceil(seconds / settings.VOICE_PULSE_SECONDS)
    assert per_call > 1
    assert body["data"]["hold amount"] == f"{4 * per_call} credits on hold for Call campaign."
    run = Run.objects.get()
    assert (run.voice_input, run.length_factor, run.audio_seconds) == ("np_prasanna", 1.5, seconds)


@pytest.mark.parametrize("absent", [{}, {"voice_input": "", "length_factor": ""}, {"voice_input": None}])
def test_a_rerun_without_a_voice_keeps_the_campaigns_voice_and_length(auth_client, user, absent):
    campaign = campaign_with_recipients(user, 2, services=Campaign.Services.PHONE)
    first = auth_client.post(
        begin_url(campaign), {"message": "नमस्ते", "voice_input": "NP_Binod", "length_factor": 1.25}, format="json"
    )
    assert_envelope(first, status=200)
    Run.objects.update(state="finished", finished_at=timezone.now())
    Recipient.objects.update(status="failed")

    again = auth_client.post(begin_url(campaign), {"status": "failed", **absent}, format="json")

    assert_envelope(again, status=200)
    rerun = Run.objects.latest("id")
    assert (rerun.voice_input, rerun.length_factor) == ("np_binod", 1.25)


def test_voice_with_uploaded_audio_is_stored_and_priced_by_its_length(auth_client, user):
    campaign = campaign_with_recipients(user, 3, services=Campaign.Services.PHONE)
    response = auth_client.post(begin_url(campaign), {"aud_file": wav_upload(65)}, format="multipart")
    assert_envelope(response, status=200)
    run = Run.objects.get()
    assert (run.content, run.hold_amount) == ("audio", 3 * 3)
    campaign.refresh_from_db()
    assert campaign.audio_file.name and campaign.audio_seconds == pytest.approx(65)
    assert run.audio_name == campaign.audio_file.name


def test_scheduled_begin_answers_the_time_in_the_owner_zone(auth_client, user):
    campaign = campaign_with_recipients(user, 2)
    when = (timezone.now() + timedelta(hours=2)).astimezone(timezone.get_default_timezone())
    local = when.strftime("%Y-%m-%dT%H:%M:%S")
    response = auth_client.post(begin_url(campaign), {"message": "later", "schedule_date": local}, format="json")
    body = assert_envelope(response, status=200)
    assert body["message"] == f"Campaign scheduled for {when.replace(microsecond=0).isoformat()}"
    run = Run.objects.get()
    assert run.state == "scheduled" and run.scheduled_for == when.replace(microsecond=0)
    assert set(Recipient.objects.values_list("status", flat=True)) == {"scheduled"}
    user.refresh_from_db()
    assert user.credits_held == 2


def test_schedule_with_an_offset_is_taken_as_given(auth_client, user):
    campaign = campaign_with_recipients(user, 1)
    when = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    response = auth_client.post(
        begin_url(campaign), {"message": "x", "schedule_date": when.strftime("%Y-%m-%dT%H:%M:%S+00:00")}, format="json"
    )
    assert_envelope(response, status=200)
    assert Run.objects.get().scheduled_for == when


def test_rerun_by_comma_joined_statuses_targets_only_those(auth_client, user):
    campaign = campaign_with_recipients(user, 6)
    recipients = list(Recipient.objects.filter(campaign=campaign).order_by("id"))
    for recipient, status in zip(
        recipients, ["completed", "failed", "hungup", "unanswered", "failed", "not started"], strict=True
    ):
        recipient.status = status
        recipient.save(update_fields=["status"])
    campaign.message = "stored text"
    campaign.save(update_fields=["message"])
    response = auth_client.post(begin_url(campaign), {"status": ["failed, hungup"]}, format="json")
    assert_envelope(response, status=200)
    targeted = set(Attempt.objects.values_list("recipient_id", flat=True))
    assert targeted == {recipients[1].pk, recipients[2].pk, recipients[4].pk}
    assert Run.objects.get().message == "stored text"


def test_rerun_of_individual_recipients(auth_client, user):
    campaign = campaign_with_recipients(user, 5, message="stored")
    ids = list(Recipient.objects.order_by("id").values_list("id", flat=True))
    response = auth_client.post(begin_url(campaign), {"individual": [ids[3], ids[0], ids[3]]}, format="json")
    assert_envelope(response, status=200)
    assert set(Attempt.objects.values_list("recipient_id", flat=True)) == {ids[0], ids[3]}


def test_priority_picks_stored_audio_over_stored_message(auth_client, user):
    campaign = campaign_with_recipients(user, 2, services=Campaign.Services.PHONE)
    assert_envelope(auth_client.post(begin_url(campaign), {"aud_file": wav_upload(10)}, format="multipart"), status=200)
    run = Run.objects.get()
    Attempt.objects.filter(run=run).update(status="completed", share=0)
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now(), state="completed")
    Recipient.objects.update(status="completed")
    Campaign.objects.filter(pk=campaign.pk).update(message="spoken text")

    no_priority = auth_client.post(begin_url(campaign), {"status": ["completed"]}, format="json")
    assert_error(no_priority, status=400, field="priority", code="priority_required")
    response = auth_client.post(begin_url(campaign), {"status": ["completed"], "priority": "audio"}, format="json")
    assert_envelope(response, status=200)
    assert Run.objects.order_by("-id").first().content == "audio"


def test_second_begin_while_running_is_409_and_holds_nothing(auth_client, user):
    campaign = campaign_with_recipients(user, 3)
    assert_envelope(auth_client.post(begin_url(campaign), {"message": "a"}, format="json"), status=200)
    Recipient.objects.update(status="failed")
    response = auth_client.post(begin_url(campaign), {"message": "a", "status": ["failed"]}, format="json")
    assert_error(response, status=409, code="campaign_running")
    assert Run.objects.count() == 1
    assert LedgerEntry.objects.filter(user=user, kind="hold").count() == 1


def test_not_enough_credits_is_402_and_nothing_starts(auth_client, user):
    campaign = campaign_with_recipients(user, 100)
    response = auth_client.post(begin_url(campaign), {"message": "x" * 1600}, format="json")  # 11 segments
    body = assert_error(response, status=402, code="insufficient_credits")
    assert body["data"] == {"required": 1100, "available": 1000}
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)
    assert not Run.objects.exists() and not Attempt.objects.exists()
    assert set(Recipient.objects.values_list("status", flat=True)) == {"not started"}
    campaign.refresh_from_db()
    assert campaign.message == ""


def test_replayed_idempotency_key_returns_the_first_answer(auth_client, user):
    campaign = campaign_with_recipients(user, 2, name="Twice")
    first = auth_client.post(begin_url(campaign), {"message": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = auth_client.post(begin_url(campaign), {"message": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert_envelope(second, status=200)
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Run.objects.count() == 1
    other_body = auth_client.post(begin_url(campaign), {"message": "y"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert_error(other_body, status=422)


def test_foreign_campaign_is_404(other_client, user):
    campaign = campaign_with_recipients(user, 2)
    assert_error(other_client.post(begin_url(campaign), {"message": "x"}, format="json"), status=404)
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "message", "no_content"),
        ({"message": ""}, "message", "no_content"),
        ({"message": "Hi {tags_age}"}, "message", "unknown_placeholder"),
        ({"message": "Hi {name}"}, "message", "unknown_placeholder"),
        ({"message": "x", "schedule_date": "tomorrow"}, "schedule_date", "invalid_format"),
        ({"message": "x", "schedule_date": "2024-02-30T10:00"}, "schedule_date", "invalid_date"),
        ({"message": "x", "schedule_date": "2020-01-01T10:00"}, "schedule_date", "in_past"),
        ({"message": "x", "length_factor": "2.5"}, "length_factor", "out_of_range"),
        ({"message": "x", "length_factor": 0.4}, "length_factor", "out_of_range"),
        ({"message": "x", "length_factor": "slow"}, "length_factor", "invalid"),
        ({"message": "x", "length_factor": "NaN"}, "length_factor", None),
        ({"message": "x", "voice_input": "en_us"}, "voice_input", "invalid_choice"),
        ({"message": "x", "status": ["failed", "lost"]}, "status.1", None),
        ({"message": "x", "status": ["failed, bogus"]}, "status.1", None),
        ({"message": "x", "status": {"a": 1}}, "status", "not_a_list"),
        ({"message": "x", "individual": ["abc"]}, "individual.0", None),
        ({"message": "x", "individual": [999999]}, "individual.0", "not_found"),
        ({"message": "x", "priority": "video"}, "priority", None),
        ({"message": "x", "priority": "audio"}, "priority", "invalid_choice"),
        ({"message": "x", "status": ["completed"]}, "status", "empty_target"),
    ],
)
def test_bad_begin_input_is_400_naming_the_field(auth_client, user, body, field, code):
    campaign = campaign_with_recipients(user, 2, usable_tags=["tags_name"])
    response = auth_client.post(begin_url(campaign), body, format="json")
    assert_error(response, status=400, field=field, code=code)
    assert not Run.objects.exists()
    user.refresh_from_db()
    assert user.credits_held == 0


def test_individual_ids_of_another_campaign_are_named(auth_client, user, other_user):
    campaign = campaign_with_recipients(user, 2)
    mine_elsewhere = campaign_with_recipients(user, 1).recipients.get()
    theirs = campaign_with_recipients(other_user, 1).recipients.get()
    own = campaign.recipients.first()
    response = auth_client.post(
        begin_url(campaign), {"message": "x", "individual": [own.pk, mine_elsewhere.pk, theirs.pk]}, format="json"
    )
    body = assert_error(response, status=400, code="not_found")
    assert [e["field"] for e in body["errors"]] == ["individual.1", "individual.2"]


def test_empty_campaign_is_400(auth_client, user):
    campaign = campaign_with_recipients(user, 0)
    assert_error(
        auth_client.post(begin_url(campaign), {"message": "x"}, format="json"), status=400, code="empty_target"
    )


def test_audio_upload_checks(auth_client, user):
    phone = campaign_with_recipients(user, 1, services=Campaign.Services.PHONE)
    text_file = SimpleUploadedFile("a.wav", b"not audio at all", content_type="audio/wav")
    assert_error(
        auth_client.post(begin_url(phone), {"aud_file": text_file}, format="multipart"), status=415, field="aud_file"
    )
    sms = campaign_with_recipients(user, 1)
    assert_error(
        auth_client.post(begin_url(sms), {"aud_file": wav_upload(2)}, format="multipart"),
        status=400,
        field="aud_file",
        code="not_for_sms",
    )
    assert not Run.objects.exists()


def test_multipart_lists_accept_repeated_and_comma_joined_values(auth_client, user):
    campaign = campaign_with_recipients(user, 4, message="stored")
    ids = list(Recipient.objects.order_by("id").values_list("id", flat=True))
    response = auth_client.post(
        begin_url(campaign), {"individual": [f"{ids[0]},{ids[1]}", str(ids[2])]}, format="multipart"
    )
    assert_envelope(response, status=200)
    assert Attempt.objects.count() == 3


def test_import_in_progress_is_409(auth_client, user):
    campaign = campaign_with_recipients(user, 1, import_state=Campaign.ImportState.RUNNING)
    assert_error(
        auth_client.post(begin_url(campaign), {"message": "x"}, format="json"), status=409, code="import_in_progress"
    )


def test_unknown_status_rerun_of_new_recipients_after_a_run(auth_client, user):
    """Without individual/status, a re-run targets only recipients not yet run."""
    campaign = campaign_with_recipients(user, 2)
    assert_envelope(auth_client.post(begin_url(campaign), {"message": "x"}, format="json"), status=200)
    run = Run.objects.get()
    Attempt.objects.filter(run=run).update(status="completed", charged=1)
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    Recipient.objects.update(status="completed")
    add_recipients(campaign, 1, start=50)
    assert_envelope(auth_client.post(begin_url(campaign), {}, format="json"), status=200)
    assert Run.objects.order_by("-id").first().total == 1
