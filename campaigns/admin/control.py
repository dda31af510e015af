"""Pause, resume and cancel from the staff console: the API's own services and
messages (taken from its views, so the two never drift), called as the campaign's owner."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from campaigns.models import Campaign, Run
from campaigns.views.runs import CampaignCancelView, CampaignPauseView, CampaignResumeView
from tingting.admin_base import error_text
from tingting.errors import DomainError

# action → (service, the API's success message, the button's label)
TRANSITIONS = {
    "pause": (CampaignPauseView.transition, CampaignPauseView.message, "Pause"),
    "resume": (CampaignResumeView.transition, CampaignResumeView.message, "Resume"),
    "cancel": (CampaignCancelView.transition, CampaignCancelView.message, "Cancel run"),
}
# Which buttons a run's state offers.
OFFERED = {
    Run.State.SCHEDULED: ("cancel",),
    Run.State.RUNNING: ("pause", "cancel"),
    Run.State.PAUSED: ("resume", "cancel"),
}


def transition(*, owner, campaign_id: int, action: str) -> str:
    """Runs the API's service for ``action``; returns its message. Raises DomainError."""
    service, message, _ = TRANSITIONS[action]
    service(user=owner, campaign_id=campaign_id)
    return message


def _back(request, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target)


def _apply(model_admin, request, *, owner, campaign_id: int, action: str, label: str) -> None:
    try:
        message = transition(owner=owner, campaign_id=campaign_id, action=action)
    except DomainError as exc:
        model_admin.message_user(request, f"{label}: {error_text(exc)}", messages.ERROR)
    else:
        model_admin.message_user(request, f"{label}: {message}", messages.SUCCESS)


def campaign_control_view(model_admin, request, campaign_id: int, action: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in TRANSITIONS or not model_admin.has_change_permission(request):
        raise Http404("No such action.")
    campaign = Campaign.objects.select_related("owner").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    _apply(model_admin, request, owner=campaign.owner, campaign_id=campaign.pk, action=action, label=campaign.name)
    return _back(request, reverse("admin:campaigns_campaign_change", args=[campaign.pk]))


def run_control_view(model_admin, request, run_id: int, action: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in TRANSITIONS or not model_admin.has_change_permission(request):
        raise Http404("No such action.")
    run = Run.objects.select_related("owner", "campaign").filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    fallback = reverse("admin:campaigns_run_change", args=[run.pk])
    if run.finished_at is not None:
        # The API acts on the campaign's run in progress; an old run's page must not steer a newer one.
        model_admin.message_user(request, f"Run {run.pk}: The run has already finished.", messages.ERROR)
        return _back(request, fallback)
    _apply(model_admin, request, owner=run.owner, campaign_id=run.campaign_id, action=action, label=f"Run {run.pk}")
    return _back(request, fallback)


def control_buttons(*, url_name: str, pk: int, state: str | None, extra=()):
    """Buttons posting the surrounding admin form to a control URL (``formaction``),
    so they work inside the change form without a nested form."""
    actions = OFFERED.get(state, ())
    buttons = [
        (
            reverse(url_name, args=[pk, action]),
            "button tt-danger" if action == "cancel" else "button",
            f"tt-{action}",
            TRANSITIONS[action][2],
        )
        for action in actions
    ]
    html = format_html_join(
        "",
        '<button type="submit" formaction="{}" formmethod="post" formnovalidate class="{}" id="{}">{}</button>',
        buttons,
    )
    links = format_html_join("", '<a class="button" href="{}" id="{}">{}</a>', extra)
    if not buttons and not extra:
        return "—"
    return format_html('<div class="tt-controls">{}{}</div>', html, links)


def list_action(action: str, *, campaign_of):
    """An admin list action running ``action`` on each selected row (``campaign_of(row)``
    gives ``(owner, campaign_id, label)`` or raises DomainError), one message per
    refusal, one summary."""
    service_label = TRANSITIONS[action][2].lower()

    def run_action(model_admin, request, queryset):
        done = 0
        for row in queryset:
            label = str(row)
            try:
                owner, campaign_id, label = campaign_of(row)
                transition(owner=owner, campaign_id=campaign_id, action=action)
                done += 1
            except DomainError as exc:
                model_admin.message_user(request, f"{label}: {error_text(exc)}", messages.WARNING)
        if done:
            message = TRANSITIONS[action][1]
            model_admin.message_user(request, message if done == 1 else f"{message} ({done})", messages.SUCCESS)

    run_action.__name__ = f"{action}_selected"
    run_action.short_description = f"{service_label.capitalize()} the selected (as the API does)"
    run_action.allowed_permissions = ("change",)
    return run_action
