"""Every route of docs/api/API_CONTRACT_V1.md §2–4, §6 answers with and without the trailing slash
(never redirected), takes JSON, multipart and url-encoded bodies on its writes (§1), and
never answers a 5xx or an HTML page. The owned routes come from the isolation registry
(tests/support/routes_v1.py), which tests/platform/test_isolation.py checks for 404s."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

import tests.support.routes_v1  # noqa: F401 - registers the v1 owned routes
from tests.support.factories import PASSWORD
from tests.support.isolation import OWNED_ROUTES

pytestmark = pytest.mark.django_db

V1_ROUTES = [route for route in OWNED_ROUTES if route.face == "v1"]
P = "/api/v1/"
# Routes without an owned object in the path: (method, path, body).
ACCOUNT_ROUTES = [
    ("GET", P + "auths/user-profile/", None),
    ("GET", P + "dashboard/", None),
    ("GET", P + "active-broker-phone/", None),
    ("GET", P + "phone-number/active/", None),
    ("GET", P + "voice-models/", None),
    ("GET", P + "campaign/", None),
    ("POST", P + "campaign/create/", {"name": "From a client", "services": "SMS", "sms_message": "hi"}),
    ("POST", P + "auths/generate-api-keys/", {}),
    ("GET", P + "auths/list/send-otps/", None),
]
FORMATS = ["json", "multipart", "urlencoded"]


def _send(client, method: str, url: str, body, body_format: str):
    call = getattr(client, method.lower())
    if body is None:
        return call(url)
    if body_format == "urlencoded":
        return call(url, urlencode(body), content_type="application/x-www-form-urlencoded")
    return call(url, body, format=body_format)


def _assert_answered(response, url: str) -> None:
    # 4xx other than "no such route" are the client's errors, fine here; a route that is
    # missing without its slash would be 404 (or 301 with APPEND_SLASH), a refused body 415.
    assert response.status_code not in (301, 302, 307, 308, 404, 405, 415), (url, response.status_code)
    assert response.status_code < 500, (url, response.content[:300])
    assert not response.get("Content-Type", "").startswith("text/html"), url


def _cases():
    for route in V1_ROUTES:
        formats = [route.format] if route.format == "multipart" or route.method in ("GET", "DELETE") else FORMATS
        for slash in (True, False):
            for body_format in formats:
                yield pytest.param(
                    route, slash, body_format, id=f"{route.name}-{'slash' if slash else 'bare'}-{body_format}"
                )


@pytest.mark.parametrize(("route", "slash", "body_format"), list(_cases()))
def test_owned_route_answers_with_and_without_slash_in_every_body_form(
    route, slash, body_format, user, auth_client, media
):
    url, body = route.build(user)
    url = url if slash else url.rstrip("/")
    if body == {} and body_format != "json":
        body = {"ignored": "1"}  # an empty form body is no body at all
    _assert_answered(_send(auth_client, route.method, url, body, body_format), url)


@pytest.mark.parametrize("slash", [True, False], ids=["slash", "bare"])
@pytest.mark.parametrize(("method", "path", "body"), ACCOUNT_ROUTES, ids=[f"{m} {p}" for m, p, _ in ACCOUNT_ROUTES])
def test_account_route_answers_with_and_without_slash(method, path, body, slash, auth_client):
    url = path if slash else path.rstrip("/")
    for body_format in FORMATS if body else ["json"]:
        response = _send(auth_client, method, url, body, body_format)
        _assert_answered(response, url)
        assert response.status_code in (200, 201), (url, body_format, response.content[:300])


@pytest.mark.parametrize("body_format", FORMATS)
@pytest.mark.parametrize("slash", [True, False], ids=["slash", "bare"])
def test_login_takes_every_body_form(body_format, slash, user, api_client):
    url = P + "auths/login/" if slash else P + "auths/login"
    response = _send(api_client, "POST", url, {"email": user.email, "password": PASSWORD}, body_format)
    assert response.status_code == 200 and response.json()["has_logged_in"] is True


def test_get_api_keys_without_and_with_a_token(auth_client):
    for url in (P + "auths/get-api-keys/", P + "auths/get-api-keys"):
        missing = auth_client.get(url)
        assert missing.status_code == 404 and "message" in missing.json()
    auth_client.post(P + "auths/generate-api-keys")
    for url in (P + "auths/get-api-keys/", P + "auths/get-api-keys"):
        assert auth_client.get(url).status_code == 200
