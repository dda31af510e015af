"""The voice catalogue as the kernel sees it: names, aliases and TTS parameters.

The three seed voices are built in (their rendering never changes with the
catalogue). The ``voices`` app registers a source (``register``) that adds the
admin-editable ``Voice`` table on top: new voices, edited parameters, aliases,
and voices switched off. Without a registered source (or with an empty table,
e.g. after a test flush) the built-in voices still work. The kernel imports no app.

- ``canonical(value)``: the internal name for a name or alias, or None.
- ``spec(name)``: the ``VoiceSpec`` a TTS backend renders, or None.
- ``render_variant(name)``: what the render cache keys on besides the name, so an
  edited voice is rendered again instead of reusing the old audio.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import astuple, dataclass


@dataclass(frozen=True)
class VoiceSpec:
    name: str
    espeak_voice: str  # eSpeak NG voice with variant, "ne+f2"
    espeak_rate: int  # words per minute at length factor 1.0
    espeak_pitch: int  # 0-100
    espeak_range: int  # 0-100, 0 = monotone
    azure_voice: str = "ne-NP-HemkalaNeural"
    azure_pitch: str = "+0%"
    azure_rate: float = 1.0

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(repr(astuple(self)).encode()).hexdigest()[:12]


DEFAULT_VOICE = "np_rija"
BUILTIN: dict[str, VoiceSpec] = {
    "np_rija": VoiceSpec("np_rija", "ne+f2", 165, 62, 70, "ne-NP-HemkalaNeural", "+0%", 1.0),
    "np_prasanna": VoiceSpec("np_prasanna", "ne+m1", 175, 58, 60, "ne-NP-SagarNeural", "+0%", 1.0),
    # The second male voice: Sagar, lower and a little slower.
    "np_binod": VoiceSpec("np_binod", "ne+m3", 160, 25, 30, "ne-NP-SagarNeural", "-12%", 0.92),
}
BUILTIN_ALIASES = {"np_prashanna": "np_prasanna"}

# () -> (specs by name, None for a voice switched off; aliases → name)
Source = Callable[[], tuple[dict[str, VoiceSpec | None], dict[str, str]]]
_source: Source | None = None


def register(source: Source) -> None:
    global _source
    _source = source


def _current() -> tuple[dict[str, VoiceSpec], dict[str, str]]:
    specs: dict[str, VoiceSpec | None] = dict(BUILTIN)
    aliases = dict(BUILTIN_ALIASES)
    if _source is not None:
        extra_specs, extra_aliases = _source()
        specs.update(extra_specs)
        aliases.update(extra_aliases)
    active = {name: value for name, value in specs.items() if value is not None}
    return active, {alias: name for alias, name in aliases.items() if name in active}


def canonical(value: str) -> str | None:
    """The active voice's internal name for ``value`` (name or alias, any case), or None."""
    active, aliases = _current()
    name = str(value).strip().lower()
    name = aliases.get(name, name)
    return name if name in active else None


def spec(name: str) -> VoiceSpec | None:
    return _current()[0].get(name)


def names() -> list[str]:
    return list(_current()[0])


def render_variant(name: str) -> str:
    """``name`` for a built-in voice with its built-in parameters (renders made before the
    catalogue stay valid); ``name@<fingerprint>`` otherwise."""
    current = spec(name)
    if current is None or current == BUILTIN.get(name):
        return name
    return f"{name}@{current.fingerprint}"
