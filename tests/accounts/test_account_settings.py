"""GET/PUT /api/accounts/settings/ and the calling-hours / retry helpers the dispatcher calls."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.calling import calling_window_open, next_window_start, retry_due_at
from accounts.models import AccountSettings
from accounts.services import account_settings_get, account_settings_update
from tests.support.envelope import assert_envelope, assert_error

URL = "/api/accounts/settings/"
UTC = dt.UTC


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL.rstrip("/")])
def test_get_defaults_with_and_without_slash(auth_client, user, url, settings):
    body = assert_envelope(auth_client.get(url), status=200)
    assert list(body["data"]) == ["settings"]
    data = body["data"]["settings"]
    assert list(data) == [
        "time_zone",
        "calling_hours",
        "retry_policy",
        "max_calls_per_second",
        "max_concurrent_calls",
        "limits",
        "webhook_url",
        "webhook_secret_set",
        "updated_at",
    ]
    assert data["time_zone"] == settings.TIME_ZONE == user.time_zone
    assert data["calling_hours"] == {
        "start": "00:00",
        "end": "00:00",
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    }
    assert data["retry_policy"] == {
        "unanswered": {"count": 0, "delay_seconds": 600},
        "failed": {"count": 0, "delay_seconds": 600},
    }
    assert data["max_calls_per_second"] == settings.ACCOUNT_MAX_CALLS_PER_SECOND
    assert data["max_concurrent_calls"] == settings.ACCOUNT_MAX_CONCURRENT_CALLS
    assert data["limits"] == {"max_calls_per_second": 10, "max_concurrent_calls": 50}
    assert data["webhook_url"] == "" and data["webhook_secret_set"] is False
    assert AccountSettings.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_get_costs_the_same_queries_every_time(auth_client, user, django_assert_num_queries):
    auth_client.get(URL)
    with django_assert_num_queries(2):  # the user, the settings row
        assert auth_client.get(URL).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL.rstrip("/")])
def test_put_updates_given_fields_and_keeps_the_rest(auth_client, user, url):
    response = auth_client.put(
        url,
        {
            "time_zone": "America/New_York",
            "calling_hours": {"start": "08:30", "end": "20:00", "weekdays": ["Friday", "mon", "tue"]},
            "retry_policy": {"unanswered": {"count": 2, "delay_seconds": 900}},
            "max_calls_per_second": 3,
        },
        format="json",
    )
    data = assert_envelope(response, status=200, message="Settings updated.")["data"]
    assert list(data) == ["settings"]
    settings_out = data["settings"]
    assert settings_out["time_zone"] == "America/New_York"
    assert settings_out["calling_hours"] == {"start": "08:30", "end": "20:00", "weekdays": ["mon", "tue", "fri"]}
    assert settings_out["retry_policy"]["unanswered"] == {"count": 2, "delay_seconds": 900}
    assert settings_out["retry_policy"]["failed"] == {"count": 0, "delay_seconds": 600}
    assert settings_out["max_calls_per_second"] == 3
    assert settings_out["max_concurrent_calls"] == 50
    user.refresh_from_db()
    assert user.time_zone == "America/New_York"  # one source of truth: the user row

    # A later partial PUT touches only what it names.
    response = auth_client.put(url, {"calling_hours": {"weekdays": ["sat"]}}, format="json")
    again = assert_envelope(response, status=200)["data"]["settings"]
    assert again["calling_hours"] == {"start": "08:30", "end": "20:00", "weekdays": ["sat"]}
    assert again["time_zone"] == "America/New_York"
    # null resets a limit to the operator's ceiling.
    again = auth_client.put(url, {"max_calls_per_second": None}, format="json").json()["data"]["settings"]
    assert again["max_calls_per_second"] == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "invalid_time_zone"),
        ({"time_zone": 5}, "time_zone", None),
        ({"calling_hours": {"start": "25:00"}}, "calling_hours.start", "invalid"),
        ({"calling_hours": {"weekdays": []}}, "calling_hours.weekdays", "min_length"),
        ({"calling_hours": {"weekdays": ["mon", "someday"]}}, "calling_hours.weekdays.1", None),
        ({"retry_policy": {"unanswered": {"count": 6}}}, "retry_policy.unanswered.count", "max_value"),
        ({"retry_policy": {"failed": {"count": -1}}}, "retry_policy.failed.count", "min_value"),
        ({"retry_policy": {"failed": {"delay_seconds": 59}}}, "retry_policy.failed.delay_seconds", "min_value"),
        ({"max_calls_per_second": 11}, "max_calls_per_second", "max_value"),
        ({"max_concurrent_calls": 0}, "max_concurrent_calls", "min_value"),
        ({"max_concurrent_calls": "many"}, "max_concurrent_calls", "invalid"),
        ({"webhook_url": "ftp://example.com/hook"}, "webhook_url", "scheme_not_allowed"),
        ({"webhook_url": "http://127.0.0.1/hook"}, "webhook_url", "private_address"),
        # issue 18: any port of a public host was accepted (a port scanner by proxy).
        ({"webhook_url": "http://93.184.216.34:22/hook"}, "webhook_url", "port_not_allowed"),
        ({"webhook_url": "https://93.184.216.34:6379/"}, "webhook_url", "port_not_allowed"),
        ({"webhook_url": "http://[::1]/hook"}, "webhook_url", "private_address"),
        ({"webhook_url": "http://169.254.169.254/latest"}, "webhook_url", "private_address"),
        ({"webhook_url": "http://10.1.2.3/"}, "webhook_url", "private_address"),
        ({"webhook_url": "http://localhost/"}, "webhook_url", "private_address"),
        ({"webhook_secret": "short"}, "webhook_secret", "min_length"),
    ],
)
def test_invalid_settings_are_400_naming_the_field(auth_client, user, body, field, code):
    before = auth_client.get(URL).json()["data"]["settings"]
    assert_error(auth_client.put(URL, body, format="json"), status=400, field=field, code=code)
    assert auth_client.get(URL).json()["data"]["settings"] == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["http://93.184.216.34/hook", "https://93.184.216.34:443/", "https://93.184.216.34:8443/h"]
)
def test_webhook_ports_80_443_and_the_configured_ones_are_allowed(auth_client, settings, url):
    settings.WEBHOOK_ALLOWED_PORTS = [8443]
    response = auth_client.put(URL, {"webhook_url": url}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["settings"]["webhook_url"] == url


@pytest.mark.django_db
def test_webhook_secret_is_shown_once(auth_client, user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = auth_client.put(URL, {"webhook_url": "http://127.0.0.1:8080/hook"}, format="json")
    data = assert_envelope(response, status=200)["data"]
    assert list(data) == ["settings", "webhook_secret"]
    secret = data["webhook_secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert data["settings"]["webhook_url"] == "http://127.0.0.1:8080/hook"
    assert data["settings"]["webhook_secret_set"] is True
    assert secret not in auth_client.get(URL).content.decode()
    # Changing the URL keeps the secret and does not show it.
    data = auth_client.put(URL, {"webhook_url": "http://127.0.0.1:8081/hook"}, format="json").json()["data"]
    assert "webhook_secret" not in data
    assert AccountSettings.objects.get(user=user).webhook_secret == secret
    # The client's own secret, and a regenerated one, are each shown once.
    data = auth_client.put(URL, {"webhook_secret": "my-own-secret-0123456789"}, format="json").json()["data"]
    assert data["webhook_secret"] == "my-own-secret-0123456789"
    data = auth_client.put(URL, {"regenerate_webhook_secret": True}, format="json").json()["data"]
    assert data["webhook_secret"] not in (secret, "my-own-secret-0123456789")


@pytest.mark.django_db
def test_a_public_webhook_url_is_accepted_with_the_guard_on(auth_client, user):
    url = "https://93.184.215.14/hook"  # a public address literal: no DNS lookup leaves the machine
    data = assert_envelope(auth_client.put(URL, {"webhook_url": url}, format="json"), status=200)["data"]
    assert data["settings"]["webhook_url"] == url


@pytest.mark.django_db
def test_settings_are_per_account(auth_client, other_client, user, other_user):
    auth_client.put(URL, {"max_concurrent_calls": 7}, format="json")
    assert other_client.get(URL).json()["data"]["settings"]["max_concurrent_calls"] == 50


@pytest.mark.django_db
def test_settings_need_a_token(api_client):
    assert_error(api_client.get(URL), status=401)


# --- Calling hours and retries (the dispatcher's helpers) -------------------------------


def _settings(user, **data):
    row, _ = account_settings_update(user=user, data=data)
    return account_settings_get(user=user) if row is None else row


def _at(zone: str, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


@pytest.mark.django_db
def test_calling_window_in_the_accounts_time_zone(user):
    row = _settings(
        user,
        time_zone="Asia/Kathmandu",
        calling_hours={"start": dt.time(9), "end": dt.time(18), "weekdays": ["mon", "tue", "wed", "thu", "fri"]},
    )
    # 2024-06-03 is a Monday.
    assert calling_window_open(row, _at("Asia/Kathmandu", 2024, 6, 3, 9, 0))
    assert not calling_window_open(row, _at("Asia/Kathmandu", 2024, 6, 3, 8, 59))
    assert not calling_window_open(row, _at("Asia/Kathmandu", 2024, 6, 3, 18, 0))
    # 03:30 UTC is 09:15 in Kathmandu (+05:45).
    assert calling_window_open(row, dt.datetime(2024, 6, 3, 3, 30, tzinfo=UTC))
    assert not calling_window_open(row, _at("Asia/Kathmandu", 2024, 6, 8, 10, 0))  # Saturday
    # Friday evening → Monday 09:00 local.
    due = next_window_start(row, _at("Asia/Kathmandu", 2024, 6, 7, 18, 30))
    assert due == _at("Asia/Kathmandu", 2024, 6, 10, 9, 0)
    assert due.tzinfo == UTC
    # Open now → now.
    now = _at("Asia/Kathmandu", 2024, 6, 4, 12, 0)
    assert next_window_start(row, now) == now


@pytest.mark.django_db
def test_window_crossing_midnight_belongs_to_the_day_it_starts(user):
    row = _settings(user, time_zone="UTC", calling_hours={"start": dt.time(22), "end": dt.time(6), "weekdays": ["fri"]})
    assert calling_window_open(row, dt.datetime(2024, 6, 7, 23, 0, tzinfo=UTC))  # Friday night
    assert calling_window_open(row, dt.datetime(2024, 6, 8, 5, 59, tzinfo=UTC))  # Saturday early, Friday's window
    assert not calling_window_open(row, dt.datetime(2024, 6, 8, 6, 0, tzinfo=UTC))
    assert not calling_window_open(row, dt.datetime(2024, 6, 7, 3, 0, tzinfo=UTC))  # Friday early: Thursday's
    assert not calling_window_open(row, dt.datetime(2024, 6, 8, 23, 0, tzinfo=UTC))  # Saturday night
    assert next_window_start(row, dt.datetime(2024, 6, 8, 7, 0, tzinfo=UTC)) == dt.datetime(
        2024, 6, 14, 22, 0, tzinfo=UTC
    )


@pytest.mark.django_db
def test_whole_day_window_follows_the_weekdays(user):
    row = _settings(user, time_zone="UTC", calling_hours={"weekdays": ["sun"]})
    assert calling_window_open(row, dt.datetime(2024, 6, 9, 0, 0, tzinfo=UTC))
    assert not calling_window_open(row, dt.datetime(2024, 6, 10, 0, 0, tzinfo=UTC))
    assert next_window_start(row, dt.datetime(2024, 6, 10, 12, 0, tzinfo=UTC)) == dt.datetime(2024, 6, 16, tzinfo=UTC)


@pytest.mark.django_db
def test_dst_changes_keep_the_local_window(user):
    ny = "America/New_York"
    row = _settings(
        user,
        time_zone=ny,
        calling_hours={
            "start": dt.time(9),
            "end": dt.time(17),
            "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        },
    )
    # Clocks go forward on 2024-03-10: 09:00 local is 14:00 UTC before, 13:00 UTC after.
    assert next_window_start(row, _at(ny, 2024, 3, 9, 18)) == dt.datetime(2024, 3, 10, 13, 0, tzinfo=UTC)
    assert next_window_start(row, _at(ny, 2024, 3, 8, 18)) == dt.datetime(2024, 3, 9, 14, 0, tzinfo=UTC)
    # Back on 2024-11-03.
    assert next_window_start(row, _at(ny, 2024, 11, 2, 18)) == dt.datetime(2024, 11, 3, 14, 0, tzinfo=UTC)
    # A window opening inside the spring-forward gap (02:30 does not exist) opens at 03:00 EDT.
    row = _settings(user, calling_hours={"start": dt.time(2, 30), "end": dt.time(4)})
    due = next_window_start(row, _at(ny, 2024, 3, 10, 1, 0))
    assert due == dt.datetime(2024, 3, 10, 7, 0, tzinfo=UTC)  # 03:00 EDT
    assert calling_window_open(row, due)


@pytest.mark.django_db
def test_retry_policy_counts_and_waits_for_calling_hours(user):
    row = _settings(
        user,
        time_zone="UTC",
        calling_hours={"start": dt.time(9), "end": dt.time(17), "weekdays": ["mon", "tue", "wed", "thu", "fri"]},
        retry_policy={"unanswered": {"count": 2, "delay_seconds": 600}},
    )
    now = dt.datetime(2024, 6, 3, 10, 0, tzinfo=UTC)  # Monday
    assert retry_due_at(row, "unanswered", 1, now) == now + dt.timedelta(minutes=10)
    assert retry_due_at(row, "unanswered", 2, now) == now + dt.timedelta(minutes=10)
    assert retry_due_at(row, "unanswered", 3, now) is None  # two retries used
    assert retry_due_at(row, "failed", 1, now) is None  # no policy for failed
    assert retry_due_at(row, "completed", 1, now) is None
    # A retry due after hours waits for the next opening.
    late = dt.datetime(2024, 6, 7, 16, 55, tzinfo=UTC)  # Friday
    assert retry_due_at(row, "unanswered", 1, late) == dt.datetime(2024, 6, 10, 9, 0, tzinfo=UTC)


def test_helpers_refuse_naive_datetimes(db, user):
    row = account_settings_get(user=user)
    with pytest.raises(ValueError):
        calling_window_open(row, dt.datetime(2024, 1, 1))
