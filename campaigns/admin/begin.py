"""Begin or re-run a campaign from the staff console.

The page takes the begin form's fields (message or audio, voice, length factor,
schedule, statuses to re-run, priority), checks them with the API's ``RunBeginInput``
(as the campaign's owner, so a schedule without offset is in the owner's zone), shows
the hold ``run_estimate`` computes before the staff member confirms, and begins with
``run_begin`` — the API's serializer, estimate and service, so the hold is the API's.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.serializers.runs import RunBeginInput
from campaigns.services.begin import RERUN_STATUSES, run_begin, run_estimate
from tingting.admin_base import account_zone, error_text, field_messages
from tingting.api.exceptions import flatten_validation_detail
from tingting.errors import DomainError
from tingting.voice import catalogue

TEXT_FIELDS = ("message", "voice_input", "length_factor", "schedule_date", "priority")


def voice_choices(blank: str | None = None) -> list[tuple[str, str]]:
    """The catalogue's active voices (read per request: staff may add voices)."""
    return ([("", blank)] if blank else []) + [(name, name) for name in catalogue.names()]


class BeginForm(forms.Form):
    """Only renders the fields and keeps what was typed; RunBeginInput validates."""

    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Empty: the stored message (or audio). {tags_x} placeholders use the recipient's tags.",
    )
    aud_file = forms.FileField(required=False, label="Audio file", help_text="PHONE campaigns: a WAV or MP3.")
    voice_input = forms.ChoiceField(
        required=False, choices=lambda: voice_choices("the campaign's voice"), label="Voice"
    )
    length_factor = forms.CharField(required=False, help_text="Speech length factor (empty: the campaign's).")
    schedule_date = forms.CharField(
        required=False,
        label="Schedule",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: now. Without an offset, in the owner's time zone.",
    )
    status = forms.MultipleChoiceField(
        required=False,
        choices=[(status, status) for status in RERUN_STATUSES],
        widget=forms.CheckboxSelectMultiple,
        label="Re-run recipients whose status is",
        help_text="None ticked: the recipients not started yet.",
    )
    priority = forms.ChoiceField(
        required=False, choices=[("", "—"), ("message", "message"), ("audio", "audio")], label="Use"
    )


def _begin_input(request, owner) -> RunBeginInput:
    """The posted fields as the API receives them (empty fields left out)."""
    data = QueryDict(mutable=True)
    for name in TEXT_FIELDS:
        if request.POST.get(name, "").strip():
            data[name] = request.POST[name]
    for status in request.POST.getlist("status"):
        data.appendlist("status", status)
    if request.FILES.get("aud_file"):
        data["aud_file"] = request.FILES["aud_file"]
    return RunBeginInput(data=data, context={"user": owner})


def _estimate_json(campaign: Campaign, payload: RunBeginInput) -> JsonResponse:
    if not payload.is_valid():
        errors = [{"field": e.field, "message": e.message} for e in flatten_validation_detail(payload.errors)]
        return JsonResponse({"errors": errors}, status=400)
    try:
        plan = run_estimate(user=campaign.owner, campaign_id=campaign.pk, **payload.begin_kwargs())
    except DomainError as exc:
        errors = [{"field": error.field, "message": error.message} for error in exc.errors]
        return JsonResponse({"errors": errors}, status=exc.status_code)
    available = campaign.owner.credits
    return JsonResponse(
        {"hold": plan.hold, "targets": len(plan.targets), "available": available, "enough": plan.hold <= available}
    )


def begin_view(model_admin, request, campaign_id: int):
    campaign = Campaign.objects.select_related("owner").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    form = BeginForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST":
        payload = _begin_input(request, campaign.owner)
        if request.POST.get("preview"):
            return _estimate_json(campaign, payload)
        if not payload.is_valid():
            errors = field_messages(payload.errors)
        else:
            try:
                run = run_begin(user=campaign.owner, campaign_id=campaign.pk, **payload.begin_kwargs())
            except DomainError as exc:
                errors = [error_text(exc)]
            else:
                model_admin.message_user(request, _begun_message(run, campaign), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    is_rerun = campaign.runs.exists()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"{'Re-run' if is_rerun else 'Begin'} {campaign.name}",
        "subtitle": None,
        "opts": Campaign._meta,
        "campaign": campaign,
        "form": form,
        "errors": errors,
        "owner_zone": str(account_zone(campaign.owner)),
        "is_rerun": is_rerun,
    }
    return TemplateResponse(request, "admin/campaigns/campaign/begin.html", context)


def _begun_message(run, campaign: Campaign) -> str:
    """The API's begin message and its "hold amount" text."""
    if run.scheduled_for:
        message = f"Campaign scheduled for {run.scheduled_for.astimezone(account_zone(campaign.owner)).isoformat()}"
    else:
        message = "Campaign is running!!"
    return f"{message} {run.hold_amount} credits on hold for {campaign.name} campaign."
