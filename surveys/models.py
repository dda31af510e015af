"""Survey scripts (ordered steps of a SURVEY campaign) and the answers calls collect.

A step says (TTS with the campaign voice), plays (an uploaded or linked audio
file) or informs (TTS, never waits), then collects key presses (``dtmf``), a
recording (``raw_record``) or nothing. Answers are kept per attempt and step
order, so a replayed callback or a redelivered simulated answer finds its row
already there; they carry the step's ``input_name`` as it was when answered,
so reports still read after the script is replaced.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from campaigns.models import Campaign


class SurveyStep(models.Model):
    class ContentType(models.TextChoices):
        SAY = "say"
        PLAY = "play"
        INFO = "info"

    class ResponseType(models.TextChoices):
        DTMF = "dtmf"
        RAW_RECORD = "raw_record"
        NONE = "none"

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="survey_steps")
    order = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=8, choices=ContentType.choices)
    # The spoken text (say, info) or, for a play step without an upload, the audio's URL.
    text_or_url = models.TextField(blank=True, default="")
    audio_file = models.FileField(upload_to="survey-audio/%Y/%m/", blank=True, default="")
    audio_seconds = models.FloatField(null=True, blank=True)
    response_type = models.CharField(max_length=10, choices=ResponseType.choices, default=ResponseType.NONE)
    input_name = models.CharField(max_length=64, blank=True, default="")
    timeout = models.PositiveSmallIntegerField(default=5, help_text="seconds to wait for input")
    max_digits = models.PositiveSmallIntegerField(default=1)
    max_record_seconds = models.PositiveSmallIntegerField(default=30)
    retries = models.PositiveSmallIntegerField(default=0, help_text="times the step is asked again on no input")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="surveys_step_unique_order"),
            models.UniqueConstraint(
                fields=["campaign", "input_name"], condition=~Q(input_name=""), name="surveys_step_unique_input"
            ),
        ]

    def __str__(self) -> str:
        return f"step {self.order} ({self.content_type}/{self.response_type})"

    @property
    def waits_for_input(self) -> bool:
        return self.response_type != self.ResponseType.NONE


class SurveyAnswer(models.Model):
    """What one call (attempt) answered at one step: digits, or a recording.

    Answers go with their campaign (``campaign`` cascades) and with their contact:
    deleting a recipient deletes its answers (``recipient`` cascades in Django's
    collector, one statement), so the admin's summary and the reports count only the
    contacts that remain. Neither link to the campaigns app has a database
    constraint, and the attempt link does nothing on delete, so the campaigns app
    keeps deleting a campaign's attempts and recipients with one statement each (a
    cascade from attempts would make Django collect every attempt of a
    million-recipient campaign first)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="survey_answers")
    attempt = models.ForeignKey(
        "campaigns.Attempt", on_delete=models.DO_NOTHING, db_constraint=False, related_name="survey_answers"
    )
    recipient = models.ForeignKey(
        "campaigns.Recipient", on_delete=models.CASCADE, db_constraint=False, related_name="survey_answers"
    )
    step = models.ForeignKey(SurveyStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers")
    step_order = models.PositiveSmallIntegerField()
    input_name = models.CharField(max_length=64)
    response_type = models.CharField(max_length=10, choices=SurveyStep.ResponseType.choices)
    digits = models.CharField(max_length=32, blank=True, default="")
    recording = models.FileField(upload_to="survey-recordings/%Y/%m/", blank=True, default="")
    # Where the vendor keeps the recording (fetched into ``recording`` when it can be).
    recording_url = models.CharField(max_length=500, blank=True, default="")
    recording_sid = models.CharField(max_length=64, blank=True, default="")
    recording_seconds = models.PositiveIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt_id", "step_order"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "step_order"], name="surveys_answer_unique_step"),
        ]
        indexes = [models.Index(fields=["recipient", "attempt"], name="surveys_answer_recipient")]

    def __str__(self) -> str:
        return f"{self.input_name}={self.digits or self.recording_url or self.recording.name}"


class SurveyCampaign(Campaign):
    """SURVEY campaigns as the admin lists them (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "survey"
        verbose_name_plural = "surveys"
