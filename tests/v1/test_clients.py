"""Raw HTTP as the public v1 clients send it, and the keys they read (docs/api/API_CONTRACT_V1.md sources):
the Laravel package (cmonsuman/tingtingapi), a .NET service (Evaan12/EasyGOV) and a Django
service (ravipangali7/Luna-Iot-Py)."""

import json

import pytest
from django.test import Client

from campaigns.models import Recipient, Run
from tests.support.campaign_helpers import owned_number
from tests.support.factories import PASSWORD
from v1.services.tokens import token_generate

pytestmark = pytest.mark.django_db

BASE = "/api/v1/"


class JsonClient:
    """Every request with Accept and Content-Type application/json and a Bearer token, as the
    Laravel package and the .NET HttpClient do (also on GET and on bodiless POSTs)."""

    def __init__(self, token: str = "") -> None:
        self.client = Client()
        self.headers = {"HTTP_ACCEPT": "application/json"}
        if token:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def call(self, method: str, path: str, body=None, raw: str | None = None):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return getattr(self.client, method)(BASE + path, data=data, content_type="application/json", **self.headers)


def test_laravel_package_flow(user):
    anonymous = JsonClient()
    login = anonymous.call("post", "auths/login/", {"email": user.email, "password": PASSWORD}).json()
    assert login["has_logged_in"] is True and login["access"] and login["refresh"]
    assert anonymous.call("post", "auths/login/refresh/", {"refresh": login["refresh"]}).json()["access"]
    jwt = JsonClient(login["access"])
    token = jwt.call("post", "auths/generate-api-keys/").json()["token"]
    assert set(jwt.call("get", "auths/get-api-keys/").json()) == {"token", "last_used", "created_at"}
    api = JsonClient(token)
    assert api.call("get", "auths/user-detail/").json()["user"]["email"] == user.email
    number = owned_number(user)
    assert api.call("get", "active-broker-phone/").json() == [{"id": number.pk, "phone_number": number.phone_number}]
    assert api.call("get", "phone-number/active/").json() == api.call("get", "active-broker-phone/").json()

    created = api.call("post", "campaign/create/", {"name": "Laravel", "services": "SMS", "user_phone": [number.pk]})
    assert created.status_code == 201
    campaign_id = created.json()["id"]
    assert api.call("get", "campaign/").json()["results"][0]["id"] == campaign_id
    assert api.call("post", f"campaign/{campaign_id}/", {"description": "from PHP"}).json()["description"] == "from PHP"
    voice = api.call(
        "patch", f"campaign/create/{campaign_id}/message/", {"voice": "np_binod", "sms_message": "hi {tags_name}"}
    )
    assert voice.json()["voice"]["voice_internal_name"] == "np_binod"

    one = api.call(
        "post", f"campaign/{campaign_id}/add-contact/", {"number": "9841000001", "other_variables": {"name": "Ram"}}
    )
    assert one.status_code == 201 and one.json()["message"] == "New Contact added"
    bulk = api.call("post", f"campaign/create/{campaign_id}/detail/", {"contacts": [{"number": "9801000002"}]})
    assert bulk.json()["created"] == 1
    listed = api.call("get", f"campaign-detail/{campaign_id}/").json()
    assert listed["count"] == 2 and listed["carrier_summary"]["Ncell"] == 1
    contact_id = one.json()["id"]
    assert api.call("get", f"campaign/{contact_id}/attributes/").json() == {"name": "Ram"}
    assert api.call("patch", f"campaign/{contact_id}/attributes/", {"age": 40}).json() == {"name": "Ram", "age": 40}
    assert (
        api.call("patch", f"phone-number/update/{contact_id}/", {"number": "9841000009"}).json()["number"]
        == "+9779841000009"
    )

    run = api.call("post", f"run-campaign/{campaign_id}/")  # JSON content type, empty body
    assert run.status_code == 200 and run.json() == {"message": "Campaign Began Successfully!!"}
    assert Run.objects.get(campaign_id=campaign_id).message == "hi {tags_name}"

    otp = api.call(
        "post",
        "auths/send/otp/",
        {"number": "9851023212", "message": "{company_name} {otp}", "sms_send_options": "text", "company_name": "PHP"},
    )
    assert otp.json()["success"] is True
    assert api.call("get", "auths/list/send-otps/").json()["results"]["data"][0]["otp"] == "••••"

    spare = api.call("post", "campaign/create/", {"name": "Spare"}).json()["id"]
    spare_contact = api.call("post", f"campaign/{spare}/add-contact/", {"number": "9841000003"}).json()["id"]
    assert api.call("delete", f"phone-number/delete/{spare_contact}/").json() == {"message": "Successfully Deleted."}
    assert api.call("delete", f"campaign/{spare}/").status_code == 204


def test_dotnet_service_flow(user):
    number = owned_number(user)
    _, token = token_generate(user=user)
    api = JsonClient(token)
    caller_id = api.call("get", "active-broker-phone/").json()[0]["id"]
    create = {
        "name": "N-DAS alert",
        "services": "PHONE",
        "user_phone": [caller_id],
        "message": "नमस्ते",
        "sms_message": "नमस्ते",
        "description": "Official N-DAS System Alert",
    }
    campaign_id = api.call("post", "campaign/create/", create).json()["id"]
    voice_id = api.call("get", "voice-models/").json()[0]["id"]
    patch = {"voice": voice_id, "category": "Text", "message": "नमस्ते", "sms_message": "नमस्ते"}
    assert api.call("patch", f"campaign/create/{campaign_id}/message/", patch).status_code == 200
    # Numbers as "+977…" with the plus removed.
    contacts = {"contacts": [{"number": "9779841000001", "other_variables": {"name": "Sita"}}]}
    added = api.call("post", f"campaign/{campaign_id}/add-contact/", contacts).json()
    dispatch = {"+" + c["number"].lstrip("+"): str(c["id"]) for c in added["contacts"]}
    assert list(dispatch) == ["+9779841000001"]
    assert api.call("post", f"run-campaign/{campaign_id}/", raw="{}").status_code == 200
    Recipient.objects.filter(pk=int(dispatch["+9779841000001"])).update(status="completed", duration=12)
    results = api.call("get", f"campaign-detail/{campaign_id}/").json()["results"]
    assert [(str(r["id"]), r["status"], int(r["call_duration"].replace("s", ""))) for r in results] == [
        (dispatch["+9779841000001"], "completed", 12)
    ]
    assert number.pk == caller_id


def test_django_service_flow(user):
    _, token = token_generate(user=user)
    api = JsonClient(token)
    ids = [api.call("post", "campaign/create/", {"name": f"C{i}"}).json()["id"] for i in range(12)]
    # ?page=N pages by the default limit.
    second = api.call("get", "campaign/?page=2").json()
    assert second["count"] == 12 and [c["id"] for c in second["results"]] == sorted(ids)[:2][::-1]
    update = api.call("post", f"campaign/{ids[0]}/", {"name": "renamed"})
    assert update.status_code == 200 and update.json()["name"] == "renamed"
    report = api.client.get(f"{BASE}download/report/{ids[0]}/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    # Errors are read as {field: [messages]} or {"detail"}.
    bad = api.call("post", "campaign/create/", {"name": "x", "voice": {"id": 99999}})
    assert bad.status_code == 400 and isinstance(bad.json()["voice"], list)
    assert set(api.call("get", "campaign/999999/").json()) == {"detail"}
