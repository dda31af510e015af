"""Paths vendors call back on (see tingting/webhooks.py)."""

from tingting import webhooks
from tingting.api.routing import both

urlpatterns = [
    *both("webhooks/twilio/sms/", webhooks.twilio_sms_callback, name="webhook-twilio-sms"),
    *both("webhooks/twilio/voice/", webhooks.twilio_voice_callback, name="webhook-twilio-voice"),
    *both("webhooks/twilio/voice/amd/", webhooks.twilio_voice_amd_callback, name="webhook-twilio-voice-amd"),
    *both("webhooks/twilio/voice/step/", webhooks.twilio_voice_step_callback, name="webhook-twilio-voice-step"),
    *both(
        "webhooks/twilio/voice/recording/",
        webhooks.twilio_voice_recording_callback,
        name="webhook-twilio-voice-recording",
    ),
    *both("webhooks/sparrow/dlr/<str:token>/", webhooks.sparrow_dlr_callback, name="webhook-sparrow-dlr"),
]
