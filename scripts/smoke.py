"""End-to-end smoke test against a running server (README command 1).

    .venv/bin/python scripts/smoke.py [BASE_URL] [API_KEY]

Logs in as the demo account and walks the main paths of both faces: numbers,
an SMS and a voice campaign begun and run to their simulated outcomes, reports,
test voice, OTP, a campaign scheduled 40 s ahead (started by the beat sweep), and
a Tling message with its timeline and a Tling message scheduled 40 s ahead. Exits
non-zero on the first unexpected answer.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import requests

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
API_KEY = sys.argv[2] if len(sys.argv) > 2 else ""
session = requests.Session()


def call(method: str, path: str, expected: int = 200, **kwargs) -> requests.Response:
    response = session.request(method, BASE + path, timeout=60, **kwargs)
    if response.status_code != expected:
        sys.exit(f"{method} {path}: {response.status_code} (expected {expected})\n{response.text[:800]}")
    print(f"ok  {method} {path} -> {response.status_code}")
    return response


def wait_for_final(campaign_id: int, seconds: int = 120) -> dict:
    """Poll the progress of the campaign's latest run until it has finished."""
    for _ in range(seconds):
        progress = call("GET", f"/api/system/campaigns/{campaign_id}/progress/").json()["data"]["progress"]
        if progress["finished_at"]:
            return progress["status_counts"]
        time.sleep(1)
    sys.exit(f"campaign {campaign_id} did not finish: {progress}")


login = call(
    "POST", "/api/accounts/login/", json={"email": "demo@tingting.local", "password": "demo-password-123"}
).json()
session.headers["Authorization"] = f"Bearer {login['data']['token']['access']}"
before = call("GET", "/api/accounts/user_details/").json()["data"]["credits"]
print("credits before:", before)

numbers = [f"98410000{i:02d}" for i in range(10)]
for services, content in (
    ("SMS", {"message": "Namaste {tags_name}, Dashain offer!"}),
    ("PHONE", {"message": "नमस्ते, दशैंको शुभकामना", "voice_input": "np_binod"}),
):
    csv = "number,name\n" + "\n".join(f"{n},Person {i}" for i, n in enumerate(numbers))
    created = call(
        "POST",
        "/api/system/campaigns",
        expected=201,
        data={"name": f"Smoke {services} {time.time():.0f}", "services": services},
        files={"send_to_number_file": ("contacts.csv", csv, "text/csv")},
    ).json()["data"]
    campaign_id = created["details"][0]["id"]
    print("  import:", created["import"])
    begun = call("POST", f"/api/system/campaigns/{campaign_id}/begin/", json=content).json()
    print("  ", begun["message"], begun["data"])
    print("  final:", wait_for_final(campaign_id))
    report = call("GET", "/api/system/campaigns/report/download/", params={"campaign_id": campaign_id, "format": "csv"})
    print("  report rows:", len(report.text.strip().splitlines()) - 1)
    retry = call("POST", f"/api/system/campaigns/{campaign_id}/begin/", json={"status": ["failed, hungup"]})
    print("  re-run:", retry.json()["data"])
    print("  re-run final:", wait_for_final(campaign_id))


def in_40_seconds() -> str:
    return (datetime.now(UTC) + timedelta(seconds=40)).replace(microsecond=0).isoformat()


scheduled = call(
    "POST",
    "/api/system/campaigns",
    expected=201,
    json={"name": f"Smoke scheduled {time.time():.0f}", "services": "SMS", "individual_number": numbers[:3]},
).json()["data"]["details"][0]["id"]
begun = call(
    "POST", f"/api/system/campaigns/{scheduled}/begin/", json={"message": "Later", "schedule_date": in_40_seconds()}
)
print("  ", begun.json()["message"])
print("  scheduled final:", wait_for_final(scheduled, seconds=180))

summary = call("GET", "/api/system/campaigns/report/summary/").json()["data"]["totals"]
print("summary totals:", summary)
voice = call("POST", "/api/system/test/voice/", json={"message": "नमस्ते", "voice_input": "np_rija"}).json()
audio = requests.get(voice["data"]["audio_url"], timeout=30)
print("test voice:", voice["data"]["duration"], "s,", audio.headers.get("Content-Type"), len(audio.content), "bytes")
otp = call(
    "POST",
    "/api/system/send/otp/",
    json={"number": "9841000123", "message": "Your code is {otp}", "sms_send_options": "text"},
).json()["data"]["details"]
call("POST", "/api/system/verify/otp/", json={"number": "9841000123", "otp": otp["otp"]})
after = call("GET", "/api/accounts/user_details/").json()["data"]["credits"]
print("credits after:", after)

if API_KEY:
    tling = requests.Session()
    tling.headers["X-API-Key"] = API_KEY
    session, saved = tling, session
    call("POST", "/api/v0/contacts", json={"name": "Smoke", "phoneNumber": f"+97798410{int(time.time()) % 100000:05d}"})
    print("cost:", call("POST", "/api/v0/messages/costs", json={"text": "नमस्ते", "to": ["+9779841000001"]}).json())
    call("POST", "/api/v0/messages", expected=204, json={"text": "Hello from smoke", "to": ["+9779841000001"]})
    time.sleep(3)
    message = call("GET", "/api/v0/messages", params={"page[size]": 1, "sort": "-createdAt"}).json()["data"][0]
    print("timeline:", [entry["status"] for entry in message["report"]])
    call(
        "POST",
        "/api/v0/schedule/message",
        expected=204,
        json={"date": in_40_seconds(), "text": "Scheduled from smoke", "to": ["+9779841000002"]},
    )
    schedule = call("GET", "/api/v0/schedule/message", params={"sort": "-createdon", "page[size]": 1}).json()["data"][0]
    for _ in range(180):
        state = call("GET", "/api/v0/schedule/message", params={"filter[id]": schedule["id"]}).json()["data"][0][
            "state"
        ]
        if state in ("completed", "failed", "cancelled"):
            break
        time.sleep(1)
    if state != "completed":
        sys.exit(f"scheduled message {schedule['id']} ended {state}")
    print("scheduled message:", state)
print("smoke: all good")
