"""The official SDK's scenarios (``pip install tingting==1.0.1``), run by its own interpreter.

Started by tests/v1/test_sdk.py in a virtualenv that has only the SDK: this file imports
nothing of the project (the SDK's import name ``tingting`` is also the project's). Usage:
``python scenarios.py BASE_URL TOKEN DIALER_NUMBER``; prints one JSON object of what the
SDK saw, with every id taken from the server's answers.
"""

import json
import sys
from datetime import UTC, datetime, timedelta

from tingting import Campaign, Category, Contact, FailoverTarget, Services, TingTingClient


def main(base_url: str, token: str, dialer_number: str) -> dict:
    client = TingTingClient(base_url, token)
    out: dict = {}

    user = client.get_user()
    out["user"] = {"id": user.id, "email": user.email, "username": user.username}

    dialers = client.get_dialers()
    out["dialers"] = [[d.id, d.phoneNumber] for d in dialers]
    dialer = client.get_dialer_by_number(dialer_number)
    out["dialer_by_number"] = dialer.id
    out["dialer_by_id"] = client.get_dialer_by_id(dialer.id).phoneNumber

    voices = client.get_voices()
    out["voices"] = [[v.id, v.internalName, v.displayName, v.isPremium] for v in voices]
    prasanna = client.get_voice_by_name("prasanna")
    out["voice_by_name"] = prasanna.internalName
    out["voice_by_id"] = client.get_voice_by_id(prasanna.id).displayName

    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    created = {
        "plain": Campaign(client=client, name="SDK plain").create(),
        "phone": Campaign(
            client=client,
            name="SDK phone",
            services=Services.PHONE,
            category=Category.TEXT,
            message="नमस्ते {tags_name}",
            dialers=dialers,
            voice=prasanna,
            lengthFactor=1,
        ).create(),
        "sms": Campaign(
            client=client, name="SDK sms", services=Services.SMS, smsMessage="Hello from the SDK", dialers=dialers
        ).create(),
        "sms_phone": Campaign(
            client=client,
            name="SDK sms and phone",
            services=Services.SMS_PHONE,
            message="Please answer",
            smsMessage="We called you",
            failoverTarget=[FailoverTarget.UNANSWERED, FailoverTarget.FAILED],
            dialers=dialers,
        ).create(),
        "scheduled": Campaign(
            client=client,
            name="SDK scheduled",
            services=Services.SMS,
            smsMessage="See you later",
            schedule=later,
            dialers=dialers,
        ).create(),
        "demo": Campaign(client=client, name="SDK demo", services=Services.SMS, smsMessage="Demo").create(),
    }
    out["campaigns"] = {
        key: {
            "id": c.id,
            "services": c.services.value,
            "status": c.status.value,
            "voice": c.voiceId,
            "dialers": c.dialers,
            "schedule": c.schedule.isoformat() if c.schedule else None,
            "failover": [t.value for t in c.failoverTarget],
        }
        for key, c in created.items()
    }

    # Recipients (simulated providers): a last digit 8 is an unanswered call (the SMS & PHONE failover); 0-6 complete.
    numbers = {"plain": ["9841000001"], "phone": ["9841000002", "9801000003"], "sms": ["9851000004"]}
    numbers.update({"sms_phone": ["9841000005", "9801000008"], "scheduled": ["9611000006"], "demo": ["9841000010"]})
    contacts = {}
    for key, campaign in created.items():
        contacts[key] = [
            campaign.add_contact(Contact(client=client, phoneNumber=n, attributes={"name": "Ram", "age": 30}))
            for n in numbers[key]
        ]
    out["contacts"] = {
        key: [{"id": c.id, "number": c.phoneNumber, "status": c.status.value, "carrier": c.carrier} for c in items]
        for key, items in contacts.items()
    }

    for campaign in created.values():
        client.get_contacts(campaign)  # campaign-detail
    out["listed"] = sorted(c.name for c in client.get_campaigns())
    out["by_name"] = [c.id for c in client.get_campaigns_by_name("SDK sms and")]
    out["filtered"] = sorted(c.name for c in client.get_campaigns_with_filter(status="Not Started"))
    out["fetched"] = client.get_campaign(created["phone"].id).name

    created["plain"].name = "SDK plain renamed"
    client.update_campaign(created["plain"])
    out["renamed"] = client.get_campaign(created["plain"].id).name

    out["test_voice"] = created["phone"].test_voice()

    for key in ("plain", "phone", "sms", "sms_phone", "scheduled"):
        created[key].run()
    contacts["demo"][0].test_call()
    client.get_campaign_report(created["sms"])
    out["scheduled_status"] = client.get_campaign(created["scheduled"].id).status.value
    client.stop_campaign(created["scheduled"])
    out["stopped_status"] = client.get_campaign(created["scheduled"].id).status.value
    return out


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
