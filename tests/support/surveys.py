"""Survey campaigns and scripts for the surveys tests."""

from __future__ import annotations

from tests.support.factories_campaigns import CampaignFactory, add_recipients

# A script with each kind of step: spoken question with key presses, a played
# upload (step 1, keyed "1"), a spoken prompt with a recording, a closing info.
STEPS = [
    {"content_type": "say", "text_or_url": "Press 1 for yes, 2 for no.", "response_type": "dtmf", "input_name": "q1"},
    {"content_type": "play", "response_type": "dtmf", "input_name": "rating", "max_digits": 2, "timeout": 7},
    {
        "content_type": "say",
        "text_or_url": "Tell us more after the beep.",
        "response_type": "raw_record",
        "input_name": "comment",
        "max_record_seconds": 20,
    },
    {"content_type": "info", "text_or_url": "Thank you.", "response_type": "none"},
]


def survey_campaign(owner, recipients: int = 0, **kwargs):
    campaign = CampaignFactory(owner=owner, **{"services": "SURVEY", **kwargs})
    if recipients:
        add_recipients(campaign, recipients)
    return campaign


def survey_run(owner, *, numbers: list[str], steps=None, files=None, state="running"):
    """A SURVEY campaign with ``steps`` (default ``STEPS``, step 1's upload given),
    a run in ``state`` and one queued attempt per number: (campaign, run, attempts)."""
    from campaigns.models import Attempt, Recipient, Run
    from surveys.services.steps import survey_steps_replace
    from tests.support.campaign_helpers import wav_upload

    campaign = survey_campaign(owner)
    Recipient.objects.bulk_create([Recipient(campaign=campaign, number=number) for number in numbers])
    if steps is None:
        steps, files = STEPS, {"1": wav_upload(2.0)}
    survey_steps_replace(user=owner, campaign_id=campaign.pk, steps=steps, files=files or {})
    run = Run.objects.create(campaign=campaign, owner=owner, state=state, kind="voice", content="message")
    attempts = [
        Attempt.objects.create(run=run, recipient=recipient, chunk=0, status="sending")
        for recipient in campaign.recipients.order_by("id")
    ]
    return campaign, run, attempts
