"""Survey reports: one row per contact with each input name's answer.

Columns: ``number`` (E.164), ``status``, ``duration`` (seconds of the latest
call), then per step that collects input, in play order: key presses as
``<input_name>`` (the digits), a recording as ``<input_name>`` (its URL) and
``<input_name>_seconds``. The JSON form has the same keys per row, so the two
say the same. Contacts are read in batches of ``BATCH`` with their answers
(two queries per batch, whatever the number of steps), in constant memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from campaigns.models import Campaign, Recipient
from surveys.models import SurveyStep
from surveys.selectors import latest_answers, recording_url, survey_steps
from surveys.services.answers import answers_recordings_forget
from surveys.services.steps import SURVEY

BATCH = 2000
FIXED = ["number", "status", "duration"]


def _answer_columns(steps: list[SurveyStep]) -> list[tuple[str, str]]:
    columns = []
    for step in steps:
        if step.response_type == SurveyStep.ResponseType.DTMF:
            columns.append((step.input_name, "digits"))
        elif step.response_type == SurveyStep.ResponseType.RAW_RECORD:
            columns += [(step.input_name, "url"), (f"{step.input_name}_seconds", "seconds")]
    return columns


def survey_report_columns(campaign: Campaign) -> list[str]:
    return FIXED + [name for name, _ in _answer_columns(survey_steps(campaign=campaign))]


def survey_report_rows(campaign: Campaign, *, base: str = "") -> Iterator[dict]:
    """Rows as dicts keyed by ``survey_report_columns``, in contact order; stored
    recordings are linked under ``base`` (default ``PUBLIC_BASE_URL``)."""
    columns = _answer_columns(survey_steps(campaign=campaign))
    last_id = 0
    while True:
        batch = list(
            Recipient.objects.filter(campaign=campaign, pk__gt=last_id)
            .order_by("id")
            .values_list("id", "number", "status", "duration")[:BATCH]
        )
        if not batch:
            return
        last_id = batch[-1][0]
        answers = latest_answers(recipient_ids=[row[0] for row in batch])
        for rid, number, status, duration in batch:
            row = {"number": number, "status": status, "duration": duration}
            row.update(_answer_values(columns, answers.get(rid, {}), base=base))
            yield row


def _answer_values(columns: list[tuple[str, str]], given: dict, *, base: str = "") -> dict:
    """One contact's answer columns from its latest answers by input name (None: no answer)."""
    row = {}
    for name, kind in columns:
        if kind == "digits":
            row[name] = given[name].digits if name in given else None
        elif kind == "url":
            row[name] = recording_url(given[name], base=base) if name in given else None
        else:
            answer = given.get(name.removesuffix("_seconds"))
            row[name] = answer.recording_seconds if answer is not None else None
    return row


class _Echo:
    def write(self, value: str) -> str:
        return value


def survey_report_csv(campaign: Campaign, *, base: str = "") -> Iterator[str]:
    """The CSV, chunk by chunk: a BOM, the header, one line per contact. Digits stay
    text (a leading 0 or a ``*`` is kept); nothing a client typed reaches a cell."""
    writer = csv.writer(_Echo())
    columns = survey_report_columns(campaign)
    yield "\ufeff"
    yield writer.writerow(columns)
    for row in survey_report_rows(campaign, base=base):
        yield writer.writerow(["" if row[name] is None else row[name] for name in columns])


class SeedFaceAnswers:
    """The survey answers the seed face shows for a SURVEY campaign's recipients
    (``campaigns.extensions``): report columns ``survey_<input_name>`` (and
    ``survey_<input_name>_seconds`` for recordings) after the tags, and
    ``survey_answers`` on each recipient of the number list (the same keys). When
    recipients are deleted their answers go by cascade and ``forget`` has their
    stored recordings removed from storage."""

    key = "survey_answers"
    prefix = "survey_"

    @classmethod
    def columns(cls, campaign: Campaign) -> list[str]:
        if campaign.services != SURVEY:
            return []
        return [cls.prefix + name for name, _ in _answer_columns(survey_steps(campaign=campaign))]

    @classmethod
    def values(cls, campaign: Campaign, recipient_ids: list[int]) -> dict[int, dict]:
        columns = _answer_columns(survey_steps(campaign=campaign))
        answers = latest_answers(recipient_ids=recipient_ids)
        return {
            rid: {cls.prefix + k: v for k, v in _answer_values(columns, answers.get(rid, {})).items()}
            for rid in recipient_ids
        }

    @classmethod
    def forget(cls, campaign: Campaign, recipient_ids: list[int]) -> None:
        if campaign.services == SURVEY:
            answers_recordings_forget(recipient_ids=recipient_ids)
