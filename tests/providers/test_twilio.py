"""Twilio SMS and voice backends over real HTTP against a local fake Twilio, and
Twilio's signed status callbacks through our webhooks."""

import pytest
import requests

from tests.support.fake_vendors import TWILIO_SID, TWILIO_TOKEN, FakeTwilio, sign
from tests.support.twilio import PUBLIC, SMS, VOICE, callback, twilio_configured
from tingting.models import ProviderMessage
from tingting.providers import reports, sms_backend, voice_backend
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
)
from tingting.providers.twilio_common import compute_signature, signature_is_valid
from tingting.providers.twilio_sms import TwilioSmsBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio(settings):
    # A timeout with room for a loaded machine; the stalled answers (3 s) still outlast it.
    with twilio_configured(settings, PROVIDER_TIMEOUT_SECONDS=1.5, SMS_BACKEND=SMS, VOICE_BACKEND=VOICE) as fake:
        yield fake


# A handler as the owning apps write them: idempotent, never moves a status back.
CALLS: list = []
STATE: dict = {}
FINAL = {"delivered", "undelivered", "failed", "expired", "completed", "hungup", "unanswered", "terminated"}


def record(report):
    CALLS.append(report)
    if STATE.get(report.reference) not in FINAL:
        STATE[report.reference] = report.status


@pytest.fixture
def received():
    reports.register("test", "tests.providers.test_twilio.record")
    CALLS.clear()
    STATE.clear()
    yield CALLS
    reports.ROUTES.pop("test")


# --- Signatures ----------------------------------------------------------------


def test_signature_matches_twilios_published_example():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+14158675309"],
        "Digits": ["1234"],
        "From": ["+14158675309"],
        "To": ["+18005551212"],
    }
    assert compute_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234"]}
    assert compute_signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert signature_is_valid(
        token="12345", url=url.replace(".com", ".com:443"), params=params, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )
    assert not signature_is_valid(token="12346", url=url, params=params, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=")


# --- SMS -------------------------------------------------------------------------


def test_sms_is_posted_with_basic_auth_and_callback(twilio, received):
    result = sms_backend().send(OutboundSms(to="+9779841234567", body="नमस्ते", reference="test:sms1"))

    assert result.accepted and result.provider_id in twilio.messages
    (request,) = twilio.posts()
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request["form"] == {
        "To": ["+9779841234567"],
        "From": ["+15005550006"],
        "Body": ["नमस्ते"],
        "StatusCallback": [f"{PUBLIC}/webhooks/twilio/sms/?ref=test%3Asms1"],
    }
    row = ProviderMessage.objects.get(reference="test:sms1")
    assert (row.backend, row.state, row.provider_id) == ("twilio-sms", "accepted", result.provider_id)


def test_sms_bad_credentials_are_permanent(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    with pytest.raises(ProviderPermanentError) as info:
        TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:auth"))
    assert (info.value.status, info.value.code) == (401, "20003")
    assert ProviderMessage.objects.get(reference="test:auth").state == "rejected"


def test_sms_invalid_number_is_permanent_with_twilio_code(twilio):
    with pytest.raises(ProviderPermanentError) as info:
        TwilioSmsBackend().send(OutboundSms(to="9841234567", body="hi", reference="test:bad"))
    assert (info.value.status, info.value.code) == (400, "21211")
    assert "not a valid phone number" in str(info.value)


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"), [(429, {"Retry-After": "7"}, 7.0), (500, {}, None), (503, {}, None)]
)
def test_sms_429_and_5xx_are_temporary_and_resendable(twilio, status, headers, retry_after):
    twilio.fail_next(status, {"code": 20429 if status == 429 else 20500, "message": "busy"}, headers)
    backend = TwilioSmsBackend()
    message = OutboundSms(to="+9779841234567", body="hi", reference="test:tmp")
    with pytest.raises(ProviderTemporaryError) as info:
        backend.send(message)
    assert not isinstance(info.value, ProviderTimeoutError)
    assert (info.value.status, info.value.retry_after) == (status, retry_after)
    assert ProviderMessage.objects.get(reference="test:tmp").state == "rejected"

    again = backend.send(message)
    assert list(twilio.messages) == [again.provider_id]


def test_sms_connection_refused_is_temporary(twilio, settings):
    with FakeTwilio() as closed:
        settings.TWILIO_API_BASE = closed.base_url
    with pytest.raises(ProviderTemporaryError) as info:
        TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:down"))
    assert not isinstance(info.value, ProviderTimeoutError)
    assert ProviderMessage.objects.get(reference="test:down").state == "rejected"


def test_sms_timeout_after_acceptance_is_reconciled_not_resent(twilio):
    twilio.stall_next(3.0)
    backend = TwilioSmsBackend()
    message = OutboundSms(to="+9779841234567", body="once only", reference="test:slow")
    with pytest.raises(ProviderTimeoutError):
        backend.send(message)
    row = ProviderMessage.objects.get(reference="test:slow")
    assert (row.state, row.provider_id) == ("unknown", "")
    (accepted_sid,) = twilio.messages

    report = backend.lookup("test:slow")
    assert (report.reference, report.provider_id, report.status) == ("test:slow", accepted_sid, "queued")
    row.refresh_from_db()
    assert (row.state, row.provider_id) == ("accepted", accepted_sid)

    assert backend.send(message).provider_id == accepted_sid
    assert len(twilio.posts()) == 1


def test_sms_connection_lost_after_sending_is_a_timeout_and_reconciled(twilio):
    twilio.drop_next()
    backend = TwilioSmsBackend()
    with pytest.raises(ProviderTimeoutError):
        backend.send(OutboundSms(to="+9779841234567", body="dropped", reference="test:drop"))
    (accepted_sid,) = twilio.messages
    assert backend.lookup("test:drop").provider_id == accepted_sid


def test_sms_unreadable_success_answer_is_reconciled_like_a_timeout(twilio):
    twilio.fail_next(201, ["not", "a", "message"])
    with pytest.raises(ProviderTimeoutError):
        TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:garbled"))
    assert ProviderMessage.objects.get(reference="test:garbled").state == "unknown"


def test_sms_resend_after_timeout_looks_up_first(twilio):
    twilio.stall_next(3.0)
    backend = TwilioSmsBackend()
    message = OutboundSms(to="+9779841234567", body="once only", reference="test:retry")
    with pytest.raises(ProviderTimeoutError):
        backend.send(message)
    (accepted_sid,) = twilio.messages
    assert backend.send(message).provider_id == accepted_sid
    assert len(twilio.posts()) == 1


def test_sms_lookup_does_not_take_another_references_message(twilio):
    backend = TwilioSmsBackend()
    first = backend.send(OutboundSms(to="+9779841234567", body="same text", reference="test:a"))
    twilio.stall_next(3.0)
    with pytest.raises(ProviderTimeoutError):
        backend.send(OutboundSms(to="+9779841234567", body="same text", reference="test:b"))
    report = backend.lookup("test:b")
    assert report.provider_id != first.provider_id and report.provider_id in twilio.messages


def test_sms_callbacks_deliver_reports(twilio, received, client):
    result = TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:cb"))
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    for status in ("sent", "delivered"):
        params = {
            "MessageSid": result.provider_id,
            "SmsSid": result.provider_id,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": TWILIO_SID,
            "To": "+9779841234567",
            "ApiVersion": "2010-04-01",
        }
        response = callback(client, url, params)
        assert response.status_code == 204
    assert [(r.reference, r.provider_id, r.status) for r in received] == [
        ("test:cb", result.provider_id, "sent"),
        ("test:cb", result.provider_id, "delivered"),
    ]
    assert ProviderMessage.objects.get(reference="test:cb").status == "delivered"


def test_sms_undelivered_callback_carries_the_error_code(twilio, received, client):
    result = TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:und"))
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    params = {"MessageSid": result.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert callback(client, url, params).status_code == 204
    assert (received[0].status, received[0].error) == ("undelivered", "twilio 30003")


@pytest.mark.parametrize("forgery", ["wrong_token", "tampered_status", "no_signature", "other_reference", "non_ascii"])
def test_forged_sms_callback_is_403_and_changes_nothing(twilio, received, client, forgery):
    result = TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:forged"))
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    params = {"MessageSid": result.provider_id, "MessageStatus": "delivered"}
    if forgery == "wrong_token":
        response = callback(client, url, params, token="not-the-token")
    elif forgery == "tampered_status":
        response = callback(
            client, url, params, signature=sign(TWILIO_TOKEN, url, {**params, "MessageStatus": "failed"})
        )
    elif forgery == "no_signature":
        response = callback(client, url, params, signature="")
    elif forgery == "non_ascii":  # issue 18: a TypeError in compare_digest (500)
        response = callback(client, url, params, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=é")
    else:
        response = callback(
            client, url.replace("test%3Aforged", "test%3Aother"), params, signature=sign(TWILIO_TOKEN, url, params)
        )
    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden."
    assert received == []
    assert ProviderMessage.objects.get(reference="test:forged").status == ""


def test_replayed_and_late_sms_callbacks_change_nothing(twilio, received, client):
    result = TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:replay"))
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    delivered = {"MessageSid": result.provider_id, "MessageStatus": "delivered"}
    late_sent = {"MessageSid": result.provider_id, "MessageStatus": "sent"}
    for params in (delivered, delivered, late_sent):
        assert callback(client, url, params).status_code == 204

    assert [r.status for r in received] == ["delivered", "delivered", "sent"]  # the handler saw each
    assert STATE == {"test:replay": "delivered"}  # and none of them changed the outcome twice or backwards
    assert ProviderMessage.objects.get(reference="test:replay").status == "delivered"


def test_callback_reconciles_a_timed_out_sms(twilio, received, client):
    twilio.stall_next(3.0)
    with pytest.raises(ProviderTimeoutError):
        TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:late"))
    (sid,) = twilio.messages
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    assert callback(client, url, {"MessageSid": sid, "MessageStatus": "sent"}).status_code == 204
    row = ProviderMessage.objects.get(reference="test:late")
    assert (row.state, row.provider_id, row.status) == ("accepted", sid, "sent")
    assert received[0].provider_id == sid


def test_callback_behind_a_proxy_is_checked_against_the_public_url(twilio, received, client):
    """The request reaches us as http://testserver/...; Twilio signed https://tingting.example.org/..."""
    result = TwilioSmsBackend().send(OutboundSms(to="+9779841234567", body="hi", reference="test:proxy"))
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    assert url.startswith(PUBLIC)
    assert callback(client, url, {"MessageSid": result.provider_id, "MessageStatus": "sent"}).status_code == 204
    local = url.replace(PUBLIC, "http://testserver")
    signed_for_local = sign(TWILIO_TOKEN, local, {"MessageSid": result.provider_id, "MessageStatus": "sent"})
    response = callback(
        client, url, {"MessageSid": result.provider_id, "MessageStatus": "sent"}, signature=signed_for_local
    )
    assert response.status_code == 403


def test_webhook_only_accepts_post(client):
    assert client.get("/webhooks/twilio/sms/").status_code == 405


# --- Voice ---------------------------------------------------------------------------


def place(reference: str = "test:call", audio_seconds: float = 10.4, **extra):
    call = OutboundCall(
        to="+9779841234567",
        reference=reference,
        audio_url="/media/tts/abc.wav",
        audio_seconds=audio_seconds,
        caller_id="+15005550007",
        **extra,
    )
    return voice_backend().place_call(call)


def test_call_is_posted_with_twiml_and_status_events(twilio, settings):
    result = place()
    (request,) = twilio.posts()
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Calls.json"
    assert request["form"] == {
        "To": ["+9779841234567"],
        "From": ["+15005550007"],
        "Twiml": [f"<Response><Play>{PUBLIC}/media/tts/abc.wav</Play></Response>"],
        "StatusCallback": [f"{PUBLIC}/webhooks/twilio/voice/?ref=test%3Acall"],
        "StatusCallbackMethod": ["POST"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
    }
    assert result.provider_id in twilio.calls


def test_machine_detection_is_requested_in_the_background_when_enabled(twilio, settings):
    settings.TWILIO_MACHINE_DETECTION = True
    place()
    form = twilio.posts()[0]["form"]
    assert form["MachineDetection"] == ["Enable"]
    assert form["AsyncAmd"] == ["true"]
    assert form["AsyncAmdStatusCallback"] == [f"{PUBLIC}/webhooks/twilio/voice/amd/?ref=test%3Acall"]
    assert form["AsyncAmdStatusCallbackMethod"] == ["POST"]


def play(client, twilio, result, **answer) -> None:
    """Twilio answering the call and calling us back as it does, signed."""
    for url, params in twilio.answer_call(result.provider_id, **answer):
        assert callback(client, url, params).status_code == 204


def test_a_person_hanging_up_early_with_detection_on_is_hungup_not_completed(twilio, received, client, settings):
    # issue 18: blocking detection held the 5 s audio back for its 4 s while the call's
    # duration ran, so a person who hung up 2 s into it looked like 6 s: "completed".
    settings.TWILIO_MACHINE_DETECTION = True
    result = place(audio_seconds=5.0)
    play(client, twilio, result, heard_seconds=2, answered_by="human", detection_seconds=4)
    assert (received[-1].status, received[-1].duration, received[-1].playback) == ("hungup", 2, 2)


def test_a_person_who_heard_it_all_with_detection_on_is_completed(twilio, received, client, settings):
    settings.TWILIO_MACHINE_DETECTION = True
    result = place(audio_seconds=5.0)
    play(client, twilio, result, heard_seconds=5, answered_by="human")
    assert (received[-1].status, received[-1].duration) == ("completed", 5)


def test_a_machine_found_in_the_background_is_unanswered(twilio, received, client, settings):
    settings.TWILIO_MACHINE_DETECTION = True
    result = place(audio_seconds=5.0)
    play(client, twilio, result, heard_seconds=5, answered_by="machine_start")
    assert ProviderMessage.objects.get(reference="test:call").answered_by == "machine_start"
    assert received[-1].status == "unanswered"
    assert received[-1].error == "answered by machine_start"
    assert voice_backend().lookup("test:call").status == "unanswered"  # the record keeps it


def test_a_forged_detection_callback_is_403_and_changes_nothing(twilio, client, settings):
    settings.TWILIO_MACHINE_DETECTION = True
    result = place()
    url = twilio.posts()[0]["form"]["AsyncAmdStatusCallback"][0]
    params = {"CallSid": result.provider_id, "AnsweredBy": "machine_start"}
    assert callback(client, url, params, token="guessed").status_code == 403
    assert ProviderMessage.objects.get(reference="test:call").answered_by == ""
    other = {"CallSid": "CA" + "0" * 32, "AnsweredBy": "machine_start"}  # not our call's SID
    assert callback(client, url, other).status_code == 204
    assert ProviderMessage.objects.get(reference="test:call").answered_by == ""


def test_blocking_detection_stays_available(twilio, received, client, settings):
    settings.TWILIO_MACHINE_DETECTION = True
    settings.TWILIO_ASYNC_AMD = False
    result = place(audio_seconds=5.0)
    assert "AsyncAmd" not in twilio.posts()[0]["form"]
    play(client, twilio, result, heard_seconds=5, answered_by="human", detection_seconds=4)
    assert (received[-1].status, received[-1].duration) == ("completed", 9)


def test_call_errors_map_like_sms(twilio):
    twilio.fail_next(400, {"code": 21215, "message": "Geo permission not enabled", "status": 400})
    with pytest.raises(ProviderPermanentError) as info:
        place("test:geo")
    assert info.value.code == "21215"
    twilio.fail_next(503, {"code": 20503, "message": "Service unavailable"})
    with pytest.raises(ProviderTemporaryError):
        place("test:503")


@pytest.mark.parametrize(
    ("params", "status", "duration", "playback"),
    [
        ({"CallStatus": "completed", "CallDuration": "10"}, "completed", 10, 10),
        ({"CallStatus": "completed", "CallDuration": "12"}, "completed", 12, 11),
        ({"CallStatus": "completed", "CallDuration": "4"}, "hungup", 4, 4),
        ({"CallStatus": "completed", "CallDuration": "11", "AnsweredBy": "machine_end_beep"}, "unanswered", 11, 11),
        ({"CallStatus": "busy", "CallDuration": "0"}, "unanswered", 0, 0),
        ({"CallStatus": "no-answer", "CallDuration": "0"}, "unanswered", 0, 0),
        ({"CallStatus": "failed", "CallDuration": "0"}, "failed", 0, 0),
        ({"CallStatus": "canceled", "CallDuration": "0"}, "failed", 0, 0),
        ({"CallStatus": "ringing"}, "ringing", None, None),
        ({"CallStatus": "in-progress", "AnsweredBy": "human"}, "answered", None, None),
    ],
)
def test_call_callbacks_map_to_outcomes(twilio, received, client, params, status, duration, playback):
    result = place()
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    response = callback(client, url, {"CallSid": result.provider_id, "AccountSid": TWILIO_SID, **params})
    assert response.status_code == 204
    (report,) = received
    assert (report.reference, report.provider_id, report.status) == ("test:call", result.provider_id, status)
    assert (report.duration, report.playback) == (duration, playback)


def test_forged_call_callback_is_403_and_changes_nothing(twilio, received, client):
    result = place()
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    response = callback(
        client, url, {"CallSid": result.provider_id, "CallStatus": "completed", "CallDuration": "10"}, token="guessed"
    )
    assert response.status_code == 403
    assert received == []
    assert ProviderMessage.objects.get(reference="test:call").status == ""


def test_out_of_order_call_callbacks_keep_the_outcome(twilio, received, client):
    result = place()
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    done = {"CallSid": result.provider_id, "CallStatus": "completed", "CallDuration": "10"}
    for params in (done, {"CallSid": result.provider_id, "CallStatus": "ringing"}, done):
        assert callback(client, url, params).status_code == 204
    assert STATE == {"test:call": "completed"}
    assert ProviderMessage.objects.get(reference="test:call").status == "completed"


def test_call_timeout_after_acceptance_is_reconciled_not_redialled(twilio):
    twilio.stall_next(3.0)
    with pytest.raises(ProviderTimeoutError):
        place("test:slowcall")
    (sid,) = twilio.calls
    twilio.calls[sid].update(status="completed", duration="10")
    report = voice_backend().lookup("test:slowcall")
    assert (report.provider_id, report.status, report.duration, report.playback) == (sid, "completed", 10, 10)
    assert place("test:slowcall").provider_id == sid
    assert len(twilio.posts()) == 1


def test_cancelled_call_reports_terminated(twilio, received, client):
    result = place()
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    assert voice_backend().cancel("test:call") is True
    assert twilio.posts()[-1]["path"].endswith(f"/Calls/{result.provider_id}.json")
    assert twilio.posts()[-1]["form"] == {"Status": ["canceled"]}
    callback(client, url, {"CallSid": result.provider_id, "CallStatus": "canceled", "CallDuration": "0"})
    assert received[-1].status == "terminated"
    assert voice_backend().cancel("test:call") is False


def test_cancel_of_a_call_answered_meanwhile_hangs_it_up(twilio, received, client):
    # issue 18: our record still said ringing, so cancel() sent Status=canceled,
    # which Twilio ignores for an answered call: it played on.
    result = place()
    twilio.calls[result.provider_id]["status"] = "in-progress"  # its "answered" callback not here yet
    assert voice_backend().cancel("test:call") is True
    assert twilio.posts()[-1]["form"] == {"Status": ["completed"]}
    assert twilio.calls[result.provider_id]["status"] == "completed"


def test_cancel_of_a_call_already_over_at_twilio_changes_nothing(twilio, received, client):
    result = place()
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    twilio.calls[result.provider_id].update(status="completed", duration="30")
    posts = len(twilio.posts())
    assert voice_backend().cancel("test:call") is False
    assert len(twilio.posts()) == posts
    # Its real outcome is reported as it was, not as terminated.
    callback(client, url, {"CallSid": result.provider_id, "CallStatus": "completed", "CallDuration": "30"})
    assert received[-1].status == "completed"


def test_a_refused_cancel_leaves_the_outcome_alone(twilio, received, client):
    result = place()
    url = twilio.posts()[0]["form"]["StatusCallback"][0]
    twilio.fail_next(500, {"code": 20500, "message": "Internal", "status": 500})
    with pytest.raises(ProviderTemporaryError):
        voice_backend().cancel("test:call")
    callback(client, url, {"CallSid": result.provider_id, "CallStatus": "completed", "CallDuration": "30"})
    assert received[-1].status == "completed"


def test_the_fake_refuses_what_twilio_refuses_on_a_call(twilio):
    result = place()
    update = twilio.base_url + f"/2010-04-01/Accounts/{TWILIO_SID}/Calls/{result.provider_id}.json"
    auth = (TWILIO_SID, TWILIO_TOKEN)
    assert requests.post(update, data={"Status": "ringing"}, auth=auth, timeout=5).status_code == 400
    twilio.calls[result.provider_id]["status"] = "completed"
    assert requests.post(update, data={"Status": "canceled"}, auth=auth, timeout=5).status_code == 400


MESSAGE = {"To": "+9779841234567", "From": "+15005550006", "Body": "hi"}
CALL = {"To": "+9779841234567", "From": "+15005550006", "Twiml": "<Response><Hangup/></Response>"}


def twilio_post(twilio, resource: str, form: dict) -> requests.Response:
    return requests.post(
        twilio.base_url + f"/2010-04-01/Accounts/{TWILIO_SID}/{resource}",
        data=form,
        auth=(TWILIO_SID, TWILIO_TOKEN),
        timeout=5,
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"Body": "x" * 1601}, 21617),
        ({"To": "9841234567"}, 21211),
        ({"StatusCallback": "not a url"}, 21609),
        ({"From": "", "MessagingServiceSid": "MG" + "0" * 32}, None),
        ({"Body": "", "MediaUrl": "https://example.org/a.png"}, None),
    ],
)
def test_the_fake_checks_a_message_as_twilios_spec_does(twilio, change, code):
    response = twilio_post(twilio, "Messages.json", {**MESSAGE, **change})
    if code is None:
        assert response.status_code == 201
    else:
        assert (response.status_code, response.json()["code"]) == (400, code)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"To": ""}, 21201),
        ({"From": ""}, 21213),
        ({"Twiml": ""}, 21205),
        ({"Twiml": "<Response>" + "<Pause/>" * 500 + "</Response>"}, 20001),
        ({"StatusCallback": "/relative"}, 21609),
        ({"StatusCallbackMethod": "PUT"}, 20001),
        ({"StatusCallbackEvent": ["initiated", "hangup"]}, 20001),
        ({"MachineDetection": "Yes"}, 20001),
        ({"MachineDetection": "Enable", "AsyncAmd": "yes"}, 20001),
        ({"AsyncAmd": "true"}, 20001),
        ({"MachineDetection": "Enable", "AsyncAmd": "true", "AsyncAmdStatusCallback": "x"}, 20001),
        ({"MachineDetection": "DetectMessageEnd", "StatusCallbackEvent": list(("initiated", "completed"))}, None),
    ],
)
def test_the_fake_checks_a_call_as_twilios_spec_does(twilio, change, code):
    response = twilio_post(twilio, "Calls.json", {**CALL, **change})
    if code is None:
        assert response.status_code == 201
    else:
        assert (response.status_code, response.json()["code"]) == (400, code)


def test_our_requests_pass_the_strict_fake_with_every_option_on(twilio, settings):
    settings.TWILIO_MACHINE_DETECTION = True
    place("test:all-options")
    sms_backend().send(OutboundSms(to="+9779841234567", body="नमस्ते " * 100, reference="test:long"))
    assert [len(twilio.calls), len(twilio.messages)] == [1, 1]


@pytest.mark.parametrize(("missing", "code"), [("To", 21604), ("From", 21603), ("Body", 21602)])
def test_the_fake_answers_a_missing_message_parameter_with_twilios_code(twilio, missing, code):
    form = {"To": "+9779841234567", "From": "+15005550006", "Body": "hi"}
    del form[missing]
    response = requests.post(
        twilio.base_url + f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json",
        data=form,
        auth=(TWILIO_SID, TWILIO_TOKEN),
        timeout=5,
    )
    assert (response.status_code, response.json()["code"]) == (400, code)
