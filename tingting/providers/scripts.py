"""Scripted calls (IVR surveys): where answers go and where the next step comes from.

Like ``reports``, the kernel knows no app: the app that places scripted calls
registers, for its reference prefix ("attempt"), a handler for each
``StepAnswer`` (the simulated backend's answers and Twilio's action callbacks
both arrive here) and a function giving the script of a reference. A vendor
that asks for the next step mid-call (Twilio's ``action`` URLs) gets it from
``script_for``: an empty script means the call should end now (unknown
reference, or its run was cancelled). Answer handlers must be idempotent: a
replayed callback delivers the same answer again.
"""

from __future__ import annotations

import logging

from django.utils.module_loading import import_string

from tingting.providers.base import ScriptStep, StepAnswer

logger = logging.getLogger(__name__)

# A linked audio file's length is not known before it plays: held as this long.
LINKED_AUDIO_SECONDS = 60

# reference prefix → (dotted path of the answer handler, dotted path of the script lookup)
ROUTES: dict[str, tuple[str, str]] = {}


def register(prefix: str, *, answer_path: str, script_path: str) -> None:
    ROUTES[prefix] = (answer_path, script_path)


def _route(reference: str) -> tuple[str, str] | None:
    route = ROUTES.get(reference.split(":", 1)[0])
    if route is None:
        logger.warning("Scripted-call reference %r has no owner", reference)
    return route


def deliver_answer(answer: StepAnswer) -> bool:
    """Hand an answer to the reference's owner; False when no app claims it."""
    route = _route(answer.reference)
    if route is None:
        return False
    import_string(route[0])(answer)
    return True


def script_for(reference: str) -> tuple[ScriptStep, ...]:
    """The steps the call with this reference plays; () when it should end."""
    route = _route(reference)
    if route is None:
        return ()
    return tuple(import_string(route[1])(reference))


def script_seconds(script: tuple[ScriptStep, ...]) -> float:
    """What listening to every prompt once takes: a call shorter than this hung up
    early (the audio length of the usual completed / hungup rule)."""
    return sum(step.audio_seconds for step in script)


def script_longest_seconds(script: tuple[ScriptStep, ...]) -> float:
    """The longest a call through the script can take (every retry, every wait in
    full, linked audio counted as ``LINKED_AUDIO_SECONDS``): what a run holds."""
    total = 0.0
    for step in script:
        prompt = step.audio_seconds or LINKED_AUDIO_SECONDS
        wait = {"dtmf": step.timeout, "record": step.max_record_seconds + step.timeout}.get(step.response, 0)
        total += (prompt + wait) * (1 + (step.retries if step.waits else 0))
    return total
