"""Columns other apps add to a campaign's recipients (the number list, the report), and
sections they add to its console page (``register_console_section``).

Apps above campaigns (surveys) register a provider in their ``ready``; campaigns
never imports them. A provider is a dotted path to an object with
``columns(campaign) -> list[str]`` (the extra report columns, [] when it has
nothing for this campaign, without a query when it can tell) and
``values(campaign, recipient_ids) -> {recipient_id: {column: value}}`` (one or two
queries per batch, whatever its size). The number list shows the values of a
recipient under one key per provider (``key``), so they never shadow its fields.

A provider may also have ``forget(campaign, recipient_ids)``: called inside the
transaction that deletes those recipients, for what it keeps of them outside the
database (a survey's recording files); its rows go with the recipients by their
foreign key's cascade.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

PROVIDERS: list[str] = []


def register(provider_path: str) -> None:
    if provider_path not in PROVIDERS:
        PROVIDERS.append(provider_path)


def _providers() -> list:
    return [import_string(path) for path in PROVIDERS]


def extra_columns(campaign) -> list[str]:
    return [column for provider in _providers() for column in provider.columns(campaign)]


def extra_values(campaign, recipient_ids: list[int]) -> dict[int, dict]:
    """{recipient id: {column: value}} over every provider with columns for the campaign."""
    merged: dict[int, dict] = {}
    for provider in _providers():
        if provider.columns(campaign):
            for rid, values in provider.values(campaign, recipient_ids).items():
                merged.setdefault(rid, {}).update(values)
    return merged


def extra_objects(campaign, recipient_ids: list[int]) -> dict[int, dict]:
    """{recipient id: {provider key: {column: value}}} for the number list."""
    found: dict[int, dict] = {}
    for provider in _providers():
        if provider.columns(campaign):
            for rid, values in provider.values(campaign, recipient_ids).items():
                found.setdefault(rid, {})[provider.key] = values
    return found


def recipients_forget(campaign, recipient_ids: list[int]) -> None:
    """Every provider with a ``forget`` lets go of what it keeps of these recipients."""
    for provider in _providers():
        forget = getattr(provider, "forget", None)
        if forget is not None:
            forget(campaign, recipient_ids)


# Sections other apps add to a campaign's console page (a survey's script and answers).
# A section is a dotted path to ``section(campaign) -> (title, html) | None`` (None when
# it has nothing for this campaign, without a query when it can tell).
CONSOLE_SECTIONS: list[str] = []


def register_console_section(section_path: str) -> None:
    if section_path not in CONSOLE_SECTIONS:
        CONSOLE_SECTIONS.append(section_path)


def console_sections(campaign) -> list[tuple[str, str]]:
    """[(title, html)] of every registered section that has something for the campaign."""
    found = (import_string(path)(campaign) for path in CONSOLE_SECTIONS)
    return [section for section in found if section]
