"""The demo of scripts/run: one account kept across restarts, numbers to buy, example files that import."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.api_keys import api_key_authenticate, api_key_revoke
from accounts.models import User

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEMO = {"email": "demo@tingting.local", "password": "demo-password-123"}


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def start_demo() -> str:
    """What scripts/run does on every start; returns the API key it prints."""
    out = StringIO()
    call_command("ensure_demo_account", stdout=out)
    return next(line.split(":", 1)[1].strip() for line in out.getvalue().splitlines() if "API key:" in line)


def test_restarts_keep_the_password_the_tokens_and_the_one_api_key(api_client):
    key = start_demo()
    login = api_client.post("/api/accounts/login/", DEMO, format="json")
    assert login.status_code == 200
    tokens = login.json()["data"]["token"]

    assert start_demo() == key
    user = User.objects.get(email=DEMO["email"])
    assert user.api_keys.count() == 1 and api_key_authenticate(key).user == user
    assert user.credits == 10_000  # topped up once
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/accounts/user_details/").status_code == 200
    api_client.credentials()
    refreshed = api_client.post("/api/accounts/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200, refreshed.json()


def test_a_new_key_only_when_the_demo_has_no_active_one(var_dir):
    key = start_demo()
    (var_dir / "demo-api-key").unlink()
    assert start_demo().startswith("(an active key exists")
    user = User.objects.get(email=DEMO["email"])
    assert user.api_keys.count() == 1
    api_key_revoke(key=api_key_authenticate(key))
    fresh = start_demo()
    assert fresh != key and api_key_authenticate(fresh).user == user
    assert user.api_keys.filter(revoked_at__isnull=True).count() == 1
    assert start_demo() == fresh


def test_the_example_numbers_are_for_sale_and_a_reload_adds_none(auth_client):
    for _ in range(2):
        call_command("import_numbers", str(EXAMPLES / "numbers.csv"), stdout=StringIO())
    response = auth_client.get("/api/system/phone_numbers/")
    assert response.status_code == 200
    assert sorted(str(row["phone_number"]) for row in response.json()["data"]["number_lists"]) == [
        "15970001",
        "9801000001",
        "9801000002",
    ]  # national numbers in the TingTing face


@pytest.mark.parametrize(("name", "content_type"), [("contacts.csv", "text/csv"), ("contacts.xlsx", None)])
def test_the_example_contacts_import_with_their_nepali_tags(auth_client, name, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, (EXAMPLES / name).read_bytes(), content_type=content_type or "application/zip")
    created = auth_client.post(
        "/api/system/campaigns", {"name": "Dashain", "services": "SMS", "send_to_number_file": upload}
    )
    assert created.status_code == 201, created.json()
    report = created.json()["data"]["import"]
    assert (report["added"], report["invalid_count"], report["duplicates"]) == (5, 0, 0)
    campaign_id = created.json()["data"]["details"][0]["id"]
    numbers = auth_client.get(f"/api/system/campaigns/number/{campaign_id}").json()
    tags = [row["available_tags"] for row in numbers["data"]["number-lists"]]
    assert {"tags_name": "राम श्रेष्ठ", "tags_city": "काठमाडौं", "tags_offer": "दशैं"} in tags


def test_operator_commands_run_as_the_readme_writes_them(tmp_path):
    """`scripts/manage ...` after command 1: no SECRET_KEY to export, the embedded defaults."""
    import os
    import subprocess

    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env["TINGTING_VAR_DIR"] = str(tmp_path)  # the SQLite file and filesystem broker of scripts/run

    def manage(*args: str) -> str:
        done = subprocess.run(
            [str(ROOT / "scripts" / "manage"), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    manage("migrate", "--noinput")
    manage("create_account", "ops@example.com", "--password", "a-long-operator-password-1")
    assert manage("add_credits", "ops@example.com", "100").splitlines()[-1] == "100"
    assert "Added 3" in manage("import_numbers", str(EXAMPLES / "numbers.csv"))
