"""Vendor callbacks: authenticated, turned into ``StatusReport``s, delivered.

Outside both API faces: no JWT or API key (vendors call these), no CSRF. A
Twilio callback must carry a valid ``X-Twilio-Signature``; a Sparrow delivery
report is authenticated by the per-message token in its URL. Anything else
answers 403/404 and changes nothing. A replayed callback is delivered again:
``ProviderMessage.status`` only moves forward and the owning app's handler is
idempotent, so a replay changes nothing.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tingting.api.exceptions import handler400, handler403, handler404
from tingting.providers import reports, sparrow, twilio_sms, twilio_voice
from tingting.providers.twilio_common import request_public_url, signature_is_valid

logger = logging.getLogger(__name__)


def _twilio_verified(request) -> bool:
    params = {name: request.POST.getlist(name) for name in request.POST}
    is_valid = signature_is_valid(
        token=settings.TWILIO_AUTH_TOKEN,
        url=request_public_url(request),
        params=params,
        signature=request.headers.get("X-Twilio-Signature", ""),
    )
    if not is_valid:
        logger.warning("Twilio callback with a bad signature refused: %s", request.path)
    return is_valid


def _deliver(report) -> HttpResponse:
    if report is not None:
        reports.deliver(report)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_sms_callback(request):
    if not _twilio_verified(request):
        return handler403(request)
    return _deliver(twilio_sms.callback_report(params=request.POST, reference=request.GET.get("ref", "")))


@csrf_exempt
@require_POST
def twilio_voice_callback(request):
    if not _twilio_verified(request):
        return handler403(request)
    return _deliver(twilio_voice.callback_report(params=request.POST, reference=request.GET.get("ref", "")))


@csrf_exempt
@require_POST
def twilio_voice_amd_callback(request):
    """Background machine detection's answer (``AsyncAmdStatusCallback``)."""
    if not _twilio_verified(request):
        return handler403(request)
    twilio_voice.amd_report(params=request.POST, reference=request.GET.get("ref", ""))
    return HttpResponse(status=204)


def _query_int(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 6 else None


@csrf_exempt
@require_POST
def twilio_voice_step_callback(request):
    """A scripted call's ``<Gather>`` / ``<Record>`` action: the answer, then the next TwiML."""
    if not _twilio_verified(request):
        return handler403(request)
    order, tries = _query_int(request, "step"), _query_int(request, "tries")
    if order is None:
        twiml = twilio_voice.HANGUP
    else:
        twiml = twilio_voice.script_action(
            params=request.POST, reference=request.GET.get("ref", ""), order=order, tries=tries or 0
        )
    return HttpResponse(twiml, content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_voice_recording_callback(request):
    if not _twilio_verified(request):
        return handler403(request)
    order = _query_int(request, "step")
    if order is not None:
        twilio_voice.recording_status(params=request.POST, reference=request.GET.get("ref", ""), order=order)
    return HttpResponse(status=204)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sparrow_dlr_callback(request, token: str):
    params = request.POST if request.method == "POST" else request.GET
    status = params.get("status", "")
    if not status and request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        status = str(body.get("status", "")) if isinstance(body, dict) else ""
    if status.strip().lower() not in sparrow.DLR_STATUS:
        return handler400(request)
    report = sparrow.dlr_report(token=token, status=status)
    if report is None:
        return handler404(request)
    return _deliver(report)
