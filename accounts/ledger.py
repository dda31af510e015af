"""The credit ledger: the only code that changes an account's credits.

Every function locks the account row, applies one movement and appends one
``LedgerEntry`` in the same transaction. Each takes an ``idempotency_key``: a
repeat with the same key changes nothing and returns the entry already written,
so a retried task or a redelivered message never moves credits twice.

Movements (docs/api/API_CONTRACT.md §5):
  top_up    credits += n
  hold      credits -= n, held += n
  release   held -= n,    credits += n
  charge    held -= n (from_held) or credits -= n
  refund    credits += n
  purchase  credits -= n
"""

from __future__ import annotations

import uuid
from typing import TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from accounts.models import LedgerEntry, User
from tingting.errors import ConflictError, InsufficientCreditsError, InvalidInputError

Kind = LedgerEntry.Kind


class Entry(TypedDict, total=False):
    """What every movement accepts besides the account and the amount."""

    idempotency_key: str | None
    reference: str
    note: str


def _move(
    *,
    user_id: int,
    kind: str,
    amount: int,
    credits_delta: int,
    held_delta: int,
    idempotency_key: str | None = None,
    reference: str = "",
    note: str = "",
) -> LedgerEntry:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInputError("Amount must be a positive whole number of credits.", field="amount")
    key = idempotency_key or f"{kind}:{uuid.uuid4().hex}"
    with transaction.atomic():
        # The row lock serialises every movement of one account, so two
        # concurrent holds can never both pass the balance check. NO KEY UPDATE:
        # rows that point at the account (messages, tally, entries) take FOR KEY
        # SHARE on it, which FOR UPDATE would block; that wait, behind locks the
        # inserter already holds, was the Tling send deadlock (issue 18 defect 1).
        account = User.objects.select_for_update(no_key=True).only("id", "credits", "credits_held").get(pk=user_id)
        existing = LedgerEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.user_id != user_id or existing.kind != kind:
                raise ConflictError("Idempotency key already used for another movement.", code="ledger_key_conflict")
            return existing
        new_credits = account.credits + credits_delta
        new_held = account.credits_held + held_delta
        if new_credits < 0:
            raise InsufficientCreditsError(
                f"Not enough credits: {amount} needed, {account.credits} available.",
                data={"required": amount, "available": account.credits},
            )
        if new_held < 0:
            raise ConflictError(
                f"Cannot move {amount} credits from hold: only {account.credits_held} held.",
                code="hold_exceeded",
            )
        User.objects.filter(pk=user_id).update(
            credits=F("credits") + credits_delta, credits_held=F("credits_held") + held_delta
        )
        try:
            with transaction.atomic():
                return LedgerEntry.objects.create(
                    user_id=user_id,
                    kind=kind,
                    amount=amount,
                    idempotency_key=key,
                    reference=reference[:200],
                    note=note[:255],
                    credits_after=new_credits,
                    held_after=new_held,
                )
        except IntegrityError as exc:  # pragma: no cover - guarded by the row lock above
            raise ConflictError("Concurrent movement with the same idempotency key.") from exc


def top_up(*, user_id: int, amount: int, **entry: Unpack[Entry]) -> LedgerEntry:
    """Add purchased credits. Safe to repeat with the same key."""
    return _move(user_id=user_id, kind=Kind.TOPUP, amount=amount, credits_delta=amount, held_delta=0, **entry)


def hold(*, user_id: int, amount: int, **entry: Unpack[Entry]) -> LedgerEntry:
    """Reserve credits for work about to run. Raises InsufficientCreditsError (402)."""
    return _move(user_id=user_id, kind=Kind.HOLD, amount=amount, credits_delta=-amount, held_delta=amount, **entry)


def release(*, user_id: int, amount: int, **entry: Unpack[Entry]) -> LedgerEntry:
    """Return held credits that were not used."""
    return _move(user_id=user_id, kind=Kind.RELEASE, amount=amount, credits_delta=amount, held_delta=-amount, **entry)


def charge(*, user_id: int, amount: int, from_held: bool, **entry: Unpack[Entry]) -> LedgerEntry:
    """Spend credits, from the hold taken for the work or straight from the balance."""
    return _move(
        user_id=user_id,
        kind=Kind.CHARGE,
        amount=amount,
        credits_delta=0 if from_held else -amount,
        held_delta=-amount if from_held else 0,
        **entry,
    )


def refund(*, user_id: int, amount: int, **entry: Unpack[Entry]) -> LedgerEntry:
    """Give back credits that were charged."""
    return _move(user_id=user_id, kind=Kind.REFUND, amount=amount, credits_delta=amount, held_delta=0, **entry)


def purchase(*, user_id: int, amount: int, **entry: Unpack[Entry]) -> LedgerEntry:
    """Pay for something bought outright (a phone number). Raises InsufficientCreditsError."""
    return _move(user_id=user_id, kind=Kind.PURCHASE, amount=amount, credits_delta=-amount, held_delta=0, **entry)


def invariant_gap(*, user_id: int) -> int:
    """credits + held + Σcharge + Σpurchase − Σtopup − Σrefund; 0 when the books balance."""
    sums = dict(
        LedgerEntry.objects.filter(user_id=user_id).values_list("kind").annotate(total=Sum("amount")).order_by()
    )
    account = User.objects.only("credits", "credits_held").get(pk=user_id)
    spent = sums.get(Kind.CHARGE, 0) + sums.get(Kind.PURCHASE, 0)
    received = sums.get(Kind.TOPUP, 0) + sums.get(Kind.REFUND, 0)
    return account.credits + account.credits_held + spent - received
