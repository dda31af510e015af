"""A survey's steps as the script a voice backend plays (``tingting.providers.base.ScriptStep``).

``say`` and ``info`` steps are spoken by our TTS with the run's voice and length
factor, through the same per-account render cache as campaign messages, and
played as audio (Twilio's ``<Say>`` has no Nepali); ``play`` steps play the
uploaded file or the linked URL. The script is rebuilt from the steps when a
vendor asks for the next step mid-call: the steps cannot change while a run is
in progress, and the renders are cached, so every call hears the same script.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage

from campaigns.models import Attempt, Campaign, Run
from campaigns.models.run import attempt_reference_parse
from surveys.models import SurveyStep
from tingting.providers.base import ScriptStep
from tingting.voice.render import account_scope, render_audio_url, render_cached

# Our response types → the script's (tingting.providers.base.ScriptStep.response).
RESPONSES: dict[str, str] = {
    SurveyStep.ResponseType.DTMF.value: "dtmf",
    SurveyStep.ResponseType.RAW_RECORD.value: "record",
    SurveyStep.ResponseType.NONE.value: "none",
}


def _media_url(name: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{default_storage.url(name)}"


def _prompt(step: SurveyStep, *, voice: str, length_factor: float, owner_id: int) -> tuple[str, float]:
    if step.content_type == SurveyStep.ContentType.PLAY:
        if step.audio_file:
            return _media_url(step.audio_file.name or ""), step.audio_seconds or 0.0
        return step.text_or_url, 0.0
    render = render_cached(
        text=step.text_or_url, voice=voice, length_factor=length_factor, scope=account_scope(owner_id)
    )
    return render_audio_url(render), render.duration


def script_build(*, steps: list[SurveyStep], voice: str, length_factor: float, owner_id: int) -> tuple[ScriptStep, ...]:
    """The script of these steps (in order). Renders what is not cached yet;
    raises the TTS backend's ProviderError when it cannot."""
    script = []
    for step in steps:
        url, seconds = _prompt(step, voice=voice, length_factor=length_factor, owner_id=owner_id)
        script.append(
            ScriptStep(
                order=step.order,
                audio_url=url,
                audio_seconds=round(seconds, 3),
                response=RESPONSES[step.response_type],
                timeout=step.timeout,
                max_digits=step.max_digits,
                max_record_seconds=step.max_record_seconds,
                retries=step.retries,
            )
        )
    return tuple(script)


def script_for_run(run: Run) -> tuple[ScriptStep, ...]:
    steps = list(SurveyStep.objects.filter(campaign_id=run.campaign_id).order_by("order"))
    return script_build(steps=steps, voice=run.voice_input, length_factor=run.length_factor, owner_id=run.owner_id)


def attempt_id_of(reference: str) -> int | None:
    """The attempt of ``attempt:<id>`` or ``attempt:<id>:<retry>``."""
    parsed = attempt_reference_parse(reference)
    return parsed[0] if parsed else None


def _script_of_campaign(rest: str) -> tuple[ScriptStep, ...]:
    campaign_id, _, tail = rest.partition(":")
    voice, _, factor = tail.partition(":")
    campaign = Campaign.objects.filter(pk=int(campaign_id)).only("owner_id").first() if campaign_id.isdigit() else None
    if campaign is None or not voice:
        return ()
    try:
        length_factor = float(factor)
    except ValueError:
        return ()
    steps = list(SurveyStep.objects.filter(campaign_id=campaign.pk).order_by("order"))
    return script_build(steps=steps, voice=voice, length_factor=length_factor, owner_id=campaign.owner_id)


def script_for_reference(reference: str) -> tuple[ScriptStep, ...]:
    """The script a call placed for this reference plays (``attempt:<id>``), a survey
    run's script (``run:<id>``: what dispatch places), or what a run of the campaign
    with a voice and length factor would play (``campaign:<id>:<voice>:<factor>``:
    what begin holds for); () when it should end now: unknown reference, its run was
    cancelled, or its attempt is already final."""
    prefix, _, rest = reference.partition(":")
    if prefix == "run":
        run = Run.objects.filter(pk=int(rest)).first() if rest.isdigit() else None
        return script_for_run(run) if run is not None else ()
    if prefix == "campaign":
        return _script_of_campaign(rest)
    attempt_id = attempt_id_of(reference)
    if attempt_id is None:
        return ()
    attempt = Attempt.objects.select_related("run").filter(pk=attempt_id).first()
    if attempt is None or attempt.is_final or attempt.run.state == Run.State.CANCELLED:
        return ()
    return script_for_run(attempt.run)
