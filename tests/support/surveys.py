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
