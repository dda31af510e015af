"""Admin: survey campaigns with their steps and a per-step answer summary.

Read-only: steps change through the API (its checks, and never while a run is
in progress); answers are written by calls. The summary counts each step's
answers by the digits pressed, and its recordings and their seconds.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from surveys.models import SurveyAnswer, SurveyCampaign, SurveyStep
from surveys.selectors import step_summaries
from surveys.services.steps import SURVEY
from tingting.admin_base import ViewOnlyAdmin


class SurveyStepInline(admin.TabularInline):
    model = SurveyStep
    extra = 0
    can_delete = False
    ordering = ["order"]
    fields = readonly_fields = (
        "order",
        "content_type",
        "text_or_url",
        "audio_file",
        "audio_seconds",
        "response_type",
        "input_name",
        "timeout",
        "max_digits",
        "max_record_seconds",
        "retries",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SurveyCampaign)
class SurveyCampaignAdmin(ViewOnlyAdmin):
    list_display = ("name", "owner", "step_count", "answer_count", "created_at")
    search_fields = ("name", "owner__email")
    fields = ("name", "owner", "console_link", "voice_input", "length_factor", "answer_summary")
    readonly_fields = fields
    inlines = [SurveyStepInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(services=SURVEY)
            .select_related("owner")
            .annotate(steps_n=Count("survey_steps", distinct=True), answers_n=Count("survey_answers", distinct=True))
        )

    def has_delete_permission(self, request, obj=None):
        return False  # campaigns are deleted through the campaigns admin (its service)

    @admin.display(description="steps", ordering="steps_n")
    def step_count(self, obj) -> int:
        return obj.steps_n

    @admin.display(description="answers", ordering="answers_n")
    def answer_count(self, obj) -> int:
        return obj.answers_n

    @admin.display(description="answers per step")
    def answer_summary(self, obj):
        return answer_summary_table(obj)

    @admin.display(description="console")
    def console_link(self, obj):
        url = reverse("admin:campaigns_campaign_change", args=[obj.pk])
        return format_html('<a href="{}">Campaign page: progress, begin, pause, resume, cancel, report</a>', url)


def answer_summary_table(campaign):
    """Each step's answers: counts by the digits pressed, recordings and their seconds."""
    rows = []
    for summary in step_summaries(campaign=campaign):
        if summary["response_type"] == SurveyStep.ResponseType.DTMF:
            detail = ", ".join(f"{digits}: {n}" for digits, n in summary["by_digits"].items()) or "-"
        elif summary["response_type"] == SurveyStep.ResponseType.RAW_RECORD:
            detail = f"{summary['recording_seconds']} s recorded"
        else:
            detail = "(no input)"
        rows.append((summary["order"], summary["input_name"] or "-", summary["answers"], detail))
    if not rows:
        return "No steps."
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html(
        '<table class="survey-summary"><thead><tr><th>step</th><th>input</th><th>answers</th>'
        "<th>by digits</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


def console_section(campaign):
    """The campaign console page's survey section (``campaigns.extensions``): the script's
    steps, the answers per step and a link to the survey's own page; None for other services."""
    if campaign.services != SURVEY:
        return None
    steps = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                step.order,
                step.content_type,
                step.text_or_url or step.audio_file.name or "-",
                step.response_type,
                step.input_name or "-",
            )
            for step in SurveyStep.objects.filter(campaign=campaign).order_by("order")
        ),
    )
    script = (
        format_html(
            '<table class="tt-table survey-steps"><thead><tr><th>step</th><th>content</th><th>text or audio</th>'
            "<th>response</th><th>input</th></tr></thead><tbody>{}</tbody></table>",
            steps,
        )
        if steps
        else "No steps yet: the survey cannot begin until its steps are set (API: survey steps)."
    )
    url = reverse("admin:surveys_surveycampaign_change", args=[campaign.pk])
    return (
        "Survey",
        format_html(
            '<h3>Script</h3>{}<h3>Answers per step</h3>{}<p><a href="{}">Survey page (steps in full, answers)</a></p>',
            script,
            answer_summary_table(campaign),
            url,
        ),
    )


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ViewOnlyAdmin):
    list_display = (
        "campaign",
        "recipient_id",
        "step_order",
        "input_name",
        "digits",
        "recording_seconds",
        "answered_at",
    )
    list_filter = ("response_type",)
    search_fields = ("input_name", "digits", "campaign__name")
    list_select_related = ("campaign",)
    readonly_fields = (
        "campaign",
        "attempt_id",
        "recipient_id",
        "step",
        "step_order",
        "input_name",
        "response_type",
        "digits",
        "recording",
        "recording_url",
        "recording_sid",
        "recording_seconds",
        "answered_at",
        "created_at",
    )
    exclude = ("attempt", "recipient")
