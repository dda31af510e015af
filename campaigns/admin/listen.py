"""Listen and download in the staff console: test voice (the API's serializer and
service, as the campaign's owner), a recipient's audio as its call plays it, and the
report downloads the API serves."""

from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.selectors import reports
from campaigns.views.reports import XLSX_TYPE
from tingting.admin_base import field_messages
from tingting.errors import DomainError
from tingting.voice.render import VOICES, account_scope, render_audio_url, render_cached
from tingting.voice.serializers import VoiceTestInput
from tingting.voice.services import voice_test_render


def test_voice_view(model_admin, request, campaign_id: int) -> JsonResponse:
    """POST message / voice_input / length_factor → the render's URL (``audio/wav``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    campaign = Campaign.objects.select_related("owner").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    data = {name: request.POST[name] for name in ("message", "voice_input", "length_factor") if request.POST.get(name)}
    payload = VoiceTestInput(data=data)
    if not payload.is_valid():
        return JsonResponse({"errors": field_messages(payload.errors)}, status=400)
    try:
        render = voice_test_render(
            user=campaign.owner,
            message=payload.validated_data["message"],
            voice=payload.validated_data["voice_input"],
            length_factor=payload.validated_data["length_factor"],
        )
    except DomainError as exc:
        return JsonResponse({"errors": [exc.message]}, status=exc.status_code)
    return JsonResponse({"audio_url": render_audio_url(render, request=request), "duration": render.duration})


def test_voice_panel(campaign: Campaign):
    """Inputs and a player; console.js posts them (no nested form inside the change form)."""
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((voice, " selected" if voice == campaign.voice_input else "", voice) for voice in VOICES),
    )
    return format_html(
        '<div class="tt-voice" data-tt-voice="{}">'
        '<textarea name="tt_voice_message" rows="2" cols="60" aria-label="Text to speak">{}</textarea>'
        '<div class="tt-controls">'
        '<label>Voice <select name="tt_voice_input">{}</select></label>'
        '<label>Length factor <input name="tt_length_factor" value="{}" size="4"></label>'
        '<button type="button" class="button" id="tt-voice-play">Play test voice</button>'
        '<span class="tt-voice-error tt-bad"></span></div>'
        '<audio class="tt-audio" id="tt-voice-audio" controls preload="none"></audio></div>',
        reverse("admin:campaigns_campaign_test_voice", args=[campaign.pk]),
        campaign.message or "नमस्ते, यो परीक्षण आवाज हो।",
        options,
        campaign.length_factor,
    )


def report_response(campaign: Campaign, extension: str):
    """The report download the API serves (same generator, name and type), as an attachment."""
    if extension == "csv":
        response = StreamingHttpResponse(reports.csv_chunks(campaign), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{reports.report_filename(campaign, "csv")}"'
        return response
    return FileResponse(
        reports.xlsx_file(campaign),
        as_attachment=True,
        filename=reports.report_filename(campaign, "xlsx"),
        content_type=XLSX_TYPE,
    )


def report_view(model_admin, request, campaign_id: int, extension: str):
    if extension not in ("xlsx", "csv"):
        raise Http404("No such format.")
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return report_response(campaign, extension)


def report_buttons(campaign: Campaign):
    links = [
        (reverse("admin:campaigns_campaign_report", args=[campaign.pk, extension]), f"tt-report-{extension}", label)
        for extension, label in (("xlsx", "Download report (xlsx)"), ("csv", "Download report (csv)"))
    ]
    return format_html(
        '<div class="tt-controls">{}</div>',
        format_html_join("", '<a class="button" href="{}" id="{}" download>{}</a>', links),
    )


def _call_audio_name(attempt: Attempt) -> str:
    """The storage name of what this attempt's call plays (as dispatch picks it)."""
    run = attempt.run
    if run.is_personalised:
        render = render_cached(
            text=attempt.text, voice=run.voice_input, length_factor=run.length_factor, scope=account_scope(run.owner_id)
        )
        return render.audio.name
    return run.audio_name


def recipient_audio_view(model_admin, request, recipient_id: int):
    """The audio of the recipient's latest call, staff-only (media is not public here)."""
    attempt = (
        Attempt.objects.select_related("run")
        .filter(recipient_id=recipient_id, run__kind=Run.Kind.VOICE)
        .order_by("-id")
        .first()
    )
    name = _call_audio_name(attempt) if attempt is not None else ""
    if not name or not default_storage.exists(name):
        raise Http404("No audio for this recipient.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type in ("audio/x-wav", "audio/wave"):
        content_type = "audio/wav"
    return FileResponse(default_storage.open(name, "rb"), content_type=content_type)


def recipient_player(recipient: Recipient):
    if not Attempt.objects.filter(recipient=recipient, run__kind=Run.Kind.VOICE).exists():
        return "No call yet."
    url = reverse("admin:campaigns_recipient_audio", args=[recipient.pk])
    return format_html('<audio class="tt-audio" id="tt-recipient-audio" controls preload="none" src="{}"></audio>', url)
