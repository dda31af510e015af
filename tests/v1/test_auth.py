"""v1 authentication (docs/api/API_CONTRACT_V1.md §2): login cookies, refresh, the v1 API token, JWT Bearer."""

import pytest
from rest_framework.test import APIClient

from tests.support.clients import client_for
from tests.support.factories import PASSWORD
from v1.models import ApiToken

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/auths/user-profile/"


def _login(client, user, password=PASSWORD):
    return client.post("/api/v1/auths/login/", {"email": user.email, "password": password}, format="json")


def test_login_sets_httponly_cookies_that_authenticate(user):
    client = APIClient()
    response = _login(client, user)
    assert response.status_code == 200
    body = response.json()
    assert body["has_logged_in"] is True and body["message"] == "Successfully logged in"
    assert body["access"] and body["refresh"]
    for name in ("access", "refresh"):
        cookie = response.cookies[name]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
    profile = client.get(PROFILE)  # the cookie alone
    assert profile.status_code == 200 and profile.json()["user"]["email"] == user.email


def test_login_access_token_works_as_bearer(user):
    access = _login(APIClient(), user).json()["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get(PROFILE).status_code == 200


def test_wrong_password_is_401_detail(user):
    response = _login(APIClient(), user, password="nope")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password"}


def test_login_missing_field_names_it():
    response = APIClient().post("/api/v1/auths/login/", {"email": "a@b.c"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["password"]


def test_refresh_from_cookie_and_from_json(user):
    client = APIClient()
    refresh = _login(client, user).json()["refresh"]
    from_cookie = client.post("/api/v1/auths/login/refresh/")
    assert from_cookie.status_code == 200
    assert from_cookie.json()["message"] == "Session Refreshed Successfully"
    assert from_cookie.cookies["access"].value == from_cookie.json()["access"]
    # Rotation blacklisted the first refresh token; the new one (cookie) works once more.
    reused = APIClient().post("/api/v1/auths/login/refresh", {"refresh": refresh}, format="json")
    assert reused.status_code == 401
    fresh = _login(APIClient(), user).json()["refresh"]
    from_json = APIClient().post("/api/v1/auths/login/refresh", {"refresh": fresh}, format="json")
    assert from_json.status_code == 200 and from_json.json()["access"]


def test_refresh_without_token_is_400_message():
    response = APIClient().post("/api/v1/auths/login/refresh/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"message": "No refresh token provided"}


def test_generated_token_authenticates_and_replaces_the_previous_one(user, auth_client):
    first = auth_client.post("/api/v1/auths/generate-api-keys/")
    assert first.status_code == 200
    assert first.json()["message"] == "New API token generated successfully"
    token1 = first.json()["token"]
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {token1}")
    assert bearer.get(PROFILE).json()["id"] == user.pk

    token2 = bearer.post("/api/v1/auths/generate-api-keys").json()["token"]
    assert token2 != token1
    assert bearer.get(PROFILE).status_code == 401  # the old one stopped working
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {token2}")
    assert bearer.get(PROFILE).status_code == 200
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    # Hashed at rest: the raw token is nowhere in the table.
    stored = list(ApiToken.objects.values_list("prefix", "key_hash", "last4"))
    assert all(token2 not in value for row in stored for value in row)


def test_get_api_keys_is_masked_except_last_four(auth_client):
    missing = auth_client.get("/api/v1/auths/get-api-keys/")
    assert missing.status_code == 404
    assert missing.json() == {"message": "No API token found. Please generate one first."}
    raw = auth_client.post("/api/v1/auths/generate-api-keys/").json()["token"]
    shown = auth_client.get("/api/v1/auths/get-api-keys").json()
    assert set(shown) == {"token", "last_used", "created_at"}
    assert shown["token"] == "*" * (len(raw) - 4) + raw[-4:]
    assert shown["last_used"] is None


def test_invalid_v1_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer ttv1_0123456789ab_nothing")
    response = client.get(PROFILE)
    assert response.status_code == 401 and "detail" in response.json()


def test_seed_jwt_works_on_v1(user):
    assert client_for(user).get(PROFILE).status_code == 200


def test_no_credentials_is_401_detail():
    response = APIClient().get(PROFILE)
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_paths_with_and_without_slash_are_never_redirected(auth_client):
    for path in (PROFILE, PROFILE.rstrip("/")):
        response = auth_client.get(path)
        assert response.status_code == 200, path


def test_unknown_v1_path_is_a_json_404():
    response = APIClient().post("/api/v1/no/such/thing/", {}, format="json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_user_profile_shape(auth_client, user):
    body = auth_client.get(PROFILE).json()
    assert body == {
        "id": user.pk,
        "user": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.email,
            "email": user.email,
        },
        "profile_picture": None,
        "contact_no": "",
        "address": "",
        "is_verified_contact": False,
    }


@pytest.mark.parametrize("carrier", ["json", "cookie"])
def test_refresh_after_a_password_change_is_401_on_v1_too(user, carrier):
    # The seed face refuses it (issue 18 defect 10); a refresh token (or a stolen cookie)
    # issued before the password changed must not mint new access on /api/v1/ either.
    client = APIClient()
    refresh = _login(client, user).json()["refresh"]
    user.set_password("a new password 123")
    user.save()
    if carrier == "json":
        response = APIClient().post("/api/v1/auths/login/refresh/", {"refresh": refresh}, format="json")
    else:
        response = client.post("/api/v1/auths/login/refresh/")
    assert response.status_code == 401
    assert response.json()["detail"] == "The password changed since this token was issued; log in again."
    assert "access" not in response.cookies


def test_refresh_of_a_deactivated_account_is_401(user):
    refresh = _login(APIClient(), user).json()["refresh"]
    user.is_active = False
    user.save()
    response = APIClient().post("/api/v1/auths/login/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 401
