"""The engine's two write paths agree with the model: an outcome recorded one by one
(``attempt_record_outcome``, as a status webhook does) and the same outcome recorded
by the batch SQL (``attempts_record_outcomes``, as a chunk task does) leave identical
rows; the raw INSERT that begin writes attempts with names every field of ``Attempt``
and gives each the model's default."""

from __future__ import annotations

import pytest
from django.db import models

from accounts import ledger
from campaigns.models import Attempt, Recipient, Run
from campaigns.services.begin import ATTEMPT_COLUMNS
from campaigns.services.dispatch import attempts_claim
from campaigns.services.outcomes import Outcome, attempt_mark_in_flight
from campaigns.services.outcomes_batch import attempts_mark_in_flight, attempts_record_outcomes
from tests.support.campaign_helpers import begin_url
from tests.support.clients import client_for
from tests.support.envelope import assert_envelope
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients

pytestmark = pytest.mark.django_db(transaction=True)

# (provider status, provider id, error): charged and not, the error given or derived,
# no provider id, and a status the vocabulary does not know (failed, not charged).
OUTCOMES = [
    ("delivered", "SMnew0", ""),
    ("undelivered", "SMnew1", ""),
    ("expired", "", ""),
    ("failed", "SMnew3", "carrier said no"),
    ("rejected", "", "bad number"),
    ("no-such-status", "SMnew5", ""),
]
# Ids and links differ between two runs, and the moments things happened; every other
# column must not (a moment only as set or not).
LINKS = {"id", "run", "recipient", "campaign"}


@pytest.fixture(autouse=True)
def _quiet_broker(purge_broker):
    """Begin publishes chunks after commit; no worker takes them: the test calls the services."""


def _claimed_run(user) -> tuple[Run, list[int]]:
    campaign = campaign_with_recipients(user, len(OUTCOMES))
    assert_envelope(client_for(user).post(begin_url(campaign), {"message": "x" * 200}, format="json"), status=200)
    run = Run.objects.get(campaign=campaign)
    claimed = attempts_claim(run_id=run.pk, chunk=0, limit=100)
    assert len(claimed) == len(OUTCOMES)
    return run, [c.pk for c in claimed]


def _outcome(attempt_id: int, status: str, provider_id: str, error: str) -> Outcome:
    return Outcome(attempt_id, status, provider_id=provider_id, error=error)


def _rows(model, queryset) -> list[dict]:
    fields = [f for f in model._meta.concrete_fields if f.name not in LINKS]
    return [
        {
            f.name: (getattr(row, f.attname) is not None)
            if isinstance(f, models.DateTimeField)
            else getattr(row, f.attname)
            for f in fields
        }
        for row in queryset.order_by("id")
    ]


def test_single_and_batch_outcomes_leave_identical_rows():
    one_by_one, batched = UserFactory(credits=100), UserFactory(credits=100)
    single_run, single_ids = _claimed_run(one_by_one)
    batch_run, batch_ids = _claimed_run(batched)
    # Two of each are already in flight with the provider's id: the outcome keeps it.
    for attempt_id in single_ids[:2]:
        assert attempt_mark_in_flight(attempt_id=attempt_id, status="sent", provider_id="SMold", backend="b", retries=0)
    assert attempts_mark_in_flight([(a, "sent", "SMold", "b", 0) for a in batch_ids[:2]]) == 2

    recorded = [_outcome(a, *outcome).record() for a, outcome in zip(single_ids, OUTCOMES, strict=True)]
    assert all(attempt is not None for attempt in recorded)
    assert attempts_record_outcomes([_outcome(a, *o) for a, o in zip(batch_ids, OUTCOMES, strict=True)]) == 6

    single_attempts = _rows(Attempt, Attempt.objects.filter(run=single_run))
    assert single_attempts == _rows(Attempt, Attempt.objects.filter(run=batch_run))
    assert [a["provider_id"] for a in single_attempts] == ["SMold", "SMold", "", "SMnew3", "", "SMnew5"]
    assert [a["charged"] for a in single_attempts] == [2, 2, 2, 0, 0, 0]
    single_recipients = _rows(Recipient, Recipient.objects.filter(campaign=single_run.campaign))
    assert single_recipients == _rows(Recipient, Recipient.objects.filter(campaign=batch_run.campaign))
    assert [r["last_error"] for r in single_recipients] == [
        "",
        "undelivered",
        "expired",
        "carrier said no",
        "bad number",
        "no-such-status",
    ]
    for run in (single_run, batch_run):
        run.refresh_from_db()
    assert (single_run.state, single_run.end_release) == (batch_run.state, batch_run.end_release) == ("completed", 0)
    for user in (one_by_one, batched):
        user.refresh_from_db()
        assert ledger.invariant_gap(user_id=user.pk) == 0
    assert (one_by_one.credits, one_by_one.credits_held) == (batched.credits, batched.credits_held) == (94, 0)


def test_the_raw_attempt_insert_names_every_model_field():
    columns = {field.column for field in Attempt._meta.concrete_fields if not field.primary_key}
    assert set(ATTEMPT_COLUMNS) == columns


def test_attempts_written_by_begin_hold_the_model_defaults():
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(user, 3)
    assert_envelope(client_for(user).post(begin_url(campaign), {"message": "hello"}, format="json"), status=200)
    attempts = list(Attempt.objects.filter(run__campaign=campaign))
    assert len(attempts) == 3
    for attempt in attempts:
        fresh = Attempt(
            run_id=attempt.run_id,
            recipient_id=attempt.recipient_id,
            chunk=attempt.chunk,
            share=attempt.share,
            text=attempt.text,
            queued_at=attempt.queued_at,
        )
        for field in Attempt._meta.concrete_fields:
            if not field.primary_key:
                assert getattr(attempt, field.attname) == getattr(fresh, field.attname), field.name
