from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.support.clients import client_for
from tests.support.envelope import assert_envelope, assert_error, assert_tling_error
from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/accounts/login/"
DETAILS = "/api/accounts/user_details/"
REFRESH = "/api/accounts/token/refresh/"


def login(client, email, password=PASSWORD, path=LOGIN):
    return client.post(path, {"email": email, "password": password}, format="json")


def test_login_answers_tokens_and_user_data(api_client, user):
    body = assert_envelope(login(api_client, user.email), status=200, message="Successfully logged in")
    assert list(body["data"]) == ["token", "user_data"]
    assert set(body["data"]["token"]) == {"refresh", "access"}
    assert body["data"]["user_data"] == {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
    }
    access = body["data"]["token"]["access"]
    assert client_for_token(access).get(DETAILS).status_code == 200


def client_for_token(access):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_login_email_is_case_insensitive(api_client, user):
    assert login(api_client, user.email.upper()).status_code == 200


@pytest.mark.parametrize("path", ["/api/accounts/login", "/api/accounts/login/"])
def test_login_served_with_and_without_slash(api_client, user, path):
    response = login(api_client, user.email, path=path)
    assert response.status_code == 200


def test_wrong_password_and_unknown_email_answer_the_same(api_client, user):
    wrong = assert_error(login(api_client, user.email, "nope"), status=401, code="invalid_credentials")
    unknown = assert_error(login(api_client, "nobody@example.com"), status=401, code="invalid_credentials")
    assert wrong["message"] == unknown["message"] == "Invalid email or password"
    assert wrong == unknown


def test_login_missing_password_names_the_field(api_client):
    assert_error(
        api_client.post(LOGIN, {"email": "a@b.c"}, format="json"), status=400, field="password", code="required"
    )


def test_login_wrong_types_and_overlong_are_400(api_client):
    assert_error(api_client.post(LOGIN, {"email": ["x"], "password": 1}, format="json"), status=400, field="email")
    assert_error(login(api_client, "a" * 300 + "@x.com"), status=400, field="email", code="max_length")


def test_malformed_json_is_400_in_envelope(api_client):
    response = api_client.post(LOGIN, data='{"email": ', content_type="application/json")
    assert_error(response, status=400, code="parse_error")


def test_json_array_body_is_400(api_client):
    assert_error(api_client.post(LOGIN, [1, 2], format="json"), status=400)


def test_unknown_content_type_is_415(api_client):
    response = api_client.post(LOGIN, data="email=x", content_type="text/plain")
    assert_error(response, status=415, code="unsupported_media_type")


def test_login_throttled_per_email_with_retry_after(api_client, user):
    for _ in range(10):
        assert login(api_client, user.email, "wrong").status_code == 401
    response = login(api_client, user.email, "wrong")
    assert_error(response, status=429, code="throttled")
    assert int(response["Retry-After"]) >= 1
    # Another email from another address is not affected by this email's limit.
    other = UserFactory()
    assert login(api_client, other.email).status_code == 200


@override_settings(THROTTLE_RATES={"login_email": "100/h", "login_ip": "3/h"})
def test_login_throttled_per_ip(api_client):
    for n in range(3):
        assert login(api_client, f"nobody{n}@example.com").status_code == 401
    assert_error(login(api_client, "nobody9@example.com"), status=429)


def test_user_details_envelope_with_credits(auth_client, user, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = auth_client.get(DETAILS)
    body = assert_envelope(response, status=200, message=None)
    assert body["data"] == {
        "user_details": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "username": user.username,
            "is_verified_email": False,
            "contact_number": "",
            "is_verified_phone": False,
            "address": "",
        },
        "credits": {"available": 1000, "on_hold": 0},
    }


def test_no_token_is_401_in_envelope(api_client):
    response = api_client.get(DETAILS)
    assert_error(response, status=401, code="not_authenticated")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer a.b.c", "Token abc", "Bearer"])
def test_malformed_token_is_401(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(api_client.get(DETAILS), status=401)


def test_refresh_token_used_as_access_is_401(api_client, user):
    assert_error(client_for_token(str(RefreshToken.for_user(user))).get(DETAILS), status=401, code="token_not_valid")


def test_expired_access_token_is_401(user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_error(client_for_token(str(token)).get(DETAILS), status=401, code="token_not_valid")


def test_password_change_revokes_tokens(user):
    client = client_for(user)
    assert client.get(DETAILS).status_code == 200
    user.set_password("a new password 123")
    user.save()
    assert_error(client.get(DETAILS), status=401)


def test_refresh_after_a_password_change_is_401_password_changed(api_client, user):
    # issue 18 defect 10: it answered 200 with a new pair every other endpoint refused.
    refresh = str(RefreshToken.for_user(user))
    user.set_password("a new password 123")
    user.save()
    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")
    assert_error(response, status=401, code="password_changed")
    # Logging in with the new password gives a pair that refreshes.
    tokens = login(api_client, user.email, "a new password 123").json()["data"]["token"]
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("change", ["deactivate", "delete"])
def test_refresh_of_an_inactive_or_deleted_account_is_401(api_client, change):
    user = UserFactory()  # no ledger entries: the account can be deleted
    refresh = str(RefreshToken.for_user(user))
    if change == "delete":
        user.delete()
    else:
        user.is_active = False
        user.save()
    assert_error(api_client.post(REFRESH, {"refresh": refresh}, format="json"), status=401, code="no_active_account")


def test_inactive_user_cannot_log_in_or_use_tokens(api_client, user):
    client = client_for(user)
    user.is_active = False
    user.save()
    assert login(api_client, user.email).status_code == 401
    assert client.get(DETAILS).status_code == 401


def test_refresh_answers_bare_tokens_and_rotates(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert client_for_token(body["access"]).get(DETAILS).status_code == 200
    # The old refresh token was blacklisted by the rotation.
    assert_error(api_client.post(REFRESH, {"refresh": refresh}, format="json"), status=401, code="token_not_valid")


def test_refresh_with_garbage_or_missing_field(api_client):
    assert_error(api_client.post(REFRESH, {"refresh": "garbage"}, format="json"), status=401)
    assert_error(api_client.post(REFRESH, {}, format="json"), status=400, field="refresh")


def test_method_not_allowed_is_405_in_envelope(auth_client):
    assert_error(auth_client.delete(DETAILS), status=405, code="method_not_allowed")


def test_unknown_routes_answer_each_face_shape(api_client):
    body = assert_error(api_client.get("/api/system/nothing-here"), status=404, code="not_found")
    assert body["data"] == {}
    assert_tling_error(api_client.get("/api/v0/nothing-here"), status=404)
    assert api_client.get("/api/system/campaigns/abc/details").status_code == 404


def test_no_redirect_for_missing_slash(api_client, user):
    response = api_client.post("/api/accounts/token/refresh", {"refresh": "x"}, format="json")
    assert response.status_code == 401  # answered, not redirected


def test_oversized_body_is_413_in_envelope(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.post(LOGIN, {"email": "a@b.c", "password": "x" * 2000}, format="json")
    assert_error(response, status=413, code="too_large")


@override_settings(THROTTLE_RATES={"login_email": "100/h", "login_ip": "2/h"}, TRUSTED_PROXY_COUNT=1)
def test_ip_throttle_behind_a_proxy_uses_the_forwarded_client(api_client):
    def attempt(forwarded):
        return api_client.post(
            LOGIN, {"email": "x@example.com", "password": "p"}, format="json", HTTP_X_FORWARDED_FOR=forwarded
        )

    assert attempt("6.6.6.6, 10.0.0.1").status_code == 401
    assert attempt("7.7.7.7, 10.0.0.1").status_code == 401
    assert attempt("8.8.8.8, 10.0.0.1").status_code == 429  # a forged first hop does not help
    assert attempt("10.0.0.2").status_code == 401  # another client


# --- look-alike emails (issue 18 defect 2) ---------------------------------------------


def test_a_dotless_i_look_alike_does_not_log_into_the_account(api_client):
    # PostgreSQL's UPPER("alıce") is "ALICE": it used to log in with its own throttle bucket.
    UserFactory(email="alice@example.com", password="right-password")
    assert_error(login(api_client, "alıce@example.com", "right-password"), status=401, code="invalid_credentials")
    assert login(api_client, "ALICE@example.com", "right-password").status_code == 200


def test_a_long_s_look_alike_shares_the_throttle_bucket_of_the_account_it_reaches(api_client):
    UserFactory(email="sam@example.com", password="right-password")
    for _ in range(10):
        assert login(api_client, "sam@example.com", "wrong").status_code == 401
    for spelling in ["ſam@example.com", "SAM@example.com", "ｓam@example.com"]:
        assert_error(login(api_client, spelling, "right-password"), status=429, code="throttled")


def test_two_accounts_whose_emails_fold_alike_each_log_in_as_themselves(api_client):
    dotted = UserFactory(email="alice@example.com", password="password-one")
    dotless = UserFactory(email="alıce@example.com", password="password-two")
    for user, password in [(dotted, "password-one"), (dotless, "password-two")]:
        response = login(api_client, user.email, password)
        assert response.status_code == 200, response.content
        access = response.json()["data"]["token"]["access"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        assert api_client.get(DETAILS).json()["data"]["user_details"]["email"] == user.email
        api_client.credentials()
