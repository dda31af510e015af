"""Every write to the number inventory: buy, release, sync from the provider.

The inventory table is the source of truth for what the API lists. The number
backend (``NUMBER_BACKEND``) is told about a buy or a release after the row has
changed hands in our database, never inside an open transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry
from phonenumbers_app import selectors
from phonenumbers_app.models import CAPABILITY_ORDER, PhoneNumber
from tingting.errors import (
    ConflictError,
    DependencyUnavailableError,
    InvalidInputError,
    NotFoundError,
)
from tingting.phones import InvalidPhoneNumber, national_display, to_e164
from tingting.providers import number_backend
from tingting.providers.base import NumberOffer, ProviderError, ProviderPermanentError, ProviderTimeoutError
from tingting.spreadsheets import read_rows
from tingting.spreadsheets.headers import header_name, is_number_header

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def number_price(number: PhoneNumber) -> int:
    """Credits a purchase costs. Rates are whole numbers (import and admin refuse
    others); a fractional rate written straight into the database is rounded up."""
    return int(number.rate.to_integral_value(rounding=ROUND_CEILING))


def _offer(number: PhoneNumber) -> NumberOffer:
    return NumberOffer(
        phone_number=number.phone_number,
        sid=number.sid,
        rate=number.rate,
        capabilities=number.capabilities,
        friendly_name=number.friendly_name,
    )


# The model's capability columns, in CAPABILITY_ORDER; sync and import rewrite these and the rate.
_FLAG_FIELDS = [f"has_{name.lower()}" for name in CAPABILITY_ORDER]
_OFFER_FIELDS = ["rate", *_FLAG_FIELDS]


def _capability_flags(capabilities: Collection[str]) -> dict[str, bool]:
    """The ``has_*`` column values for a set of capability names (as CAPABILITY_ORDER spells them)."""
    return {field: name in capabilities for field, name in zip(_FLAG_FIELDS, CAPABILITY_ORDER, strict=True)}


def _purchase_key(number: PhoneNumber, generation: int) -> str:
    return f"number:{number.sid}:purchase:{generation}"


def number_buy(*, user: User, sid: str) -> PhoneNumber:
    """Sell the unowned number ``sid`` to ``user``.

    In one transaction: lock the number row, charge ``rate`` credits through the
    ledger (kind ``purchase``, key ``number:<sid>:purchase:<n>``) and assign it.
    Then the number backend acquires it at the vendor; if the vendor refuses, the
    assignment is undone and the credits refunded.

    Raises NotFoundError (unknown SID), ConflictError (already owned, by anyone,
    or the vendor no longer has it), InsufficientCreditsError, and
    DependencyUnavailableError (vendor unreachable; nothing charged; or
    ``purchase_unconfirmed``: the request was sent and neither its answer nor a
    lookup came, so the number stays charged and assigned, marked
    ``purchase_unconfirmed_at``, until ``number_purchases_reconcile`` settles it).
    Not safe to repeat blindly: a second call answers 409 (use ``Idempotency-Key``).
    """
    # durable: the charge must be committed before the vendor is called, so no caller
    # may wrap this in a transaction of its own.
    with transaction.atomic(durable=True):
        number = PhoneNumber.objects.select_for_update().filter(sid=sid).first()
        if number is None:
            raise NotFoundError("No phone number with this phone_sid.", field="phone_sid")
        if number.owner_id is not None:
            message = (
                "You already own this number."
                if number.owner_id == user.pk
                else f"{national_display(number.phone_number)} number is already bought."
            )
            raise ConflictError(message, code="number_unavailable", field="phone_sid")
        number.purchases += 1
        price = number_price(number)
        if price > 0:
            ledger.purchase(
                user_id=user.pk,
                amount=price,
                idempotency_key=_purchase_key(number, number.purchases),
                reference=f"number:{number.sid}",
                note=f"phone number {number.phone_number}",
            )
        number.owner = user
        number.bought_at = timezone.now()
        number.save(update_fields=["owner", "bought_at", "purchases"])

    try:
        vendor_id = number_backend().purchase(_offer(number))
    except ProviderTimeoutError as exc:
        # Sent, no answer, and the vendor could not be asked: it may own (and bill)
        # the number. Kept charged and assigned until the reconcile sweep knows.
        PhoneNumber.objects.filter(pk=number.pk, purchases=number.purchases).update(
            purchase_unconfirmed_at=timezone.now()
        )
        logger.warning("Purchase of %s for user %s unconfirmed: %s", number.phone_number, user.pk, exc)
        raise DependencyUnavailableError(
            "The number provider did not confirm the purchase; it is checked again shortly, "
            "and refunded if it did not go through.",
            code="purchase_unconfirmed",
        ) from exc
    except ProviderError as exc:
        _undo_purchase(number=number, user=user, price=price)
        logger.warning("Number backend refused %s for user %s: %s", number.phone_number, user.pk, exc)
        if isinstance(exc, ProviderPermanentError):
            raise ConflictError(
                f"{national_display(number.phone_number)} number is no longer available.",
                code="number_unavailable",
                field="phone_sid",
            ) from exc
        raise DependencyUnavailableError(
            "The number provider did not answer; nothing was charged. Try again.", code="provider_unavailable"
        ) from exc
    if vendor_id != number.vendor_id:
        number.vendor_id = vendor_id
        number.save(update_fields=["vendor_id"])
    return number


def _undo_purchase(*, number: PhoneNumber, user: User, price: int) -> None:
    with transaction.atomic():
        row = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        if row.owner_id != user.pk or row.purchases != number.purchases:
            return
        row.owner = None
        row.bought_at = None
        row.purchase_unconfirmed_at = None
        row.save(update_fields=["owner", "bought_at", "purchase_unconfirmed_at"])
        if price > 0:
            key = _purchase_key(row, row.purchases)
            ledger.refund(
                user_id=user.pk,
                amount=price,
                idempotency_key=f"{key}:refund",
                reference=f"number:{row.sid}",
                note="number purchase failed at the provider",
            )


def number_release(*, user: User, sid: str) -> PhoneNumber:
    """Give the user's number ``sid`` back to the inventory (no refund: a number is
    bought outright). Its SID stays the same, so it can be bought again.

    Raises NotFoundError (unknown SID or not the user's), ConflictError (a
    campaign in progress uses it as caller ID) and DependencyUnavailableError
    (the vendor did not answer; the number stays the user's). A repeat answers 404.
    """
    with transaction.atomic():
        number = selectors.owned_number_list(user=user).select_for_update().filter(sid=sid).first()
        if number is None:
            raise NotFoundError("You own no phone number with this phone_sid.", field="phone_sid")
        if selectors.number_in_use_by_running_campaign(number):
            raise ConflictError(
                f"{national_display(number.phone_number)} number is the caller ID of a campaign in progress; "
                "stop the campaign first.",
                code="number_in_use",
                field="phone_sid",
            )
        if number.purchase_unconfirmed_at is not None:
            raise ConflictError(
                f"{national_display(number.phone_number)} number's purchase is not confirmed by the provider yet; "
                "try again later.",
                code="purchase_unconfirmed",
                field="phone_sid",
            )
        if not number.vendor_id:
            _unassign(number)
            return number
    try:
        number_backend().release(number.sid, number.vendor_id)
    except ProviderError as exc:
        raise DependencyUnavailableError(
            "The number provider did not answer; the number is still yours. Try again.", code="provider_unavailable"
        ) from exc
    with transaction.atomic():
        number = selectors.owned_number_list(user=user).select_for_update().filter(sid=sid).first()
        if number is None:
            raise NotFoundError("You own no phone number with this phone_sid.", field="phone_sid")
        _unassign(number)
    return number


def number_purchases_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Settle purchases left unconfirmed (``number_buy``): ask the backend whether it
    owns each number. Owned → bought (its vendor id kept); not owned → undone and
    refunded; the vendor cannot be asked → left for the next sweep, and undone and
    refunded once ``PROVIDER_UNKNOWN_DEADLINE_SECONDS`` passed (logged as an error
    for the operator to check the vendor's console). Repeat-safe; concurrent runs
    settle each purchase once (the row is locked and its purchase generation checked)."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.PROVIDER_UNKNOWN_DEADLINE_SECONDS)
    counts = {"bought": 0, "refunded": 0, "unknown": 0}
    backend = number_backend()
    pending = PhoneNumber.objects.filter(purchase_unconfirmed_at__isnull=False, owner__isnull=False)
    for number in list(pending.select_related("owner").order_by("purchase_unconfirmed_at")[:200]):
        try:
            vendor_id = backend.owned(number.phone_number)
        except ProviderError as exc:
            if number.purchase_unconfirmed_at is None or number.purchase_unconfirmed_at >= deadline:
                counts["unknown"] += 1
                continue
            logger.error(  # noqa: TRY400 - the vendor's answer is the news, not a traceback
                "Purchase of %s still unconfirmed past the deadline; refunded. Check the number provider: %s",
                number.phone_number,
                exc,
            )
            vendor_id = None
        if vendor_id:
            counts["bought"] += PhoneNumber.objects.filter(
                pk=number.pk, purchases=number.purchases, purchase_unconfirmed_at__isnull=False
            ).update(vendor_id=vendor_id, purchase_unconfirmed_at=None)
            continue
        if number.owner is not None:
            _undo_purchase(number=number, user=number.owner, price=_charged(number))
            counts["refunded"] += 1
    return counts


def _charged(number: PhoneNumber) -> int:
    """What the number's latest purchase charged (its ledger entry)."""
    entry = LedgerEntry.objects.filter(idempotency_key=_purchase_key(number, number.purchases)).first()
    return entry.amount if entry is not None else 0


def _unassign(number: PhoneNumber) -> None:
    number.owner = None
    number.bought_at = None
    number.vendor_id = ""
    number.save(update_fields=["owner", "bought_at", "vendor_id"])


def inventory_sync() -> dict[str, int]:
    """Copy the number backend's offers into the inventory: new numbers are added
    unowned, unowned ones get the offered rate and capabilities; owned numbers are
    left alone. A no-op for the local inventory. Safe to repeat. Returns counts."""
    backend = number_backend()
    if getattr(backend, "is_local_inventory", False):
        return {"added": 0, "updated": 0}
    offers = {offer.phone_number: offer for offer in backend.available()}
    added = updated = 0
    with transaction.atomic():
        existing = {
            row.phone_number: row
            for row in PhoneNumber.objects.select_for_update().filter(phone_number__in=list(offers))
        }
        new_rows, changed = [], []
        for phone_number, offer in offers.items():
            flags = _capability_flags(offer.capabilities)
            row = existing.get(phone_number)
            if row is None:
                new_rows.append(
                    PhoneNumber(
                        phone_number=phone_number,
                        sid=offer.sid,
                        rate=offer.rate,
                        friendly_name=offer.friendly_name[:100],
                        **flags,
                    )
                )
            elif row.owner_id is None:
                for name, value in {"rate": offer.rate, **flags}.items():
                    setattr(row, name, value)
                changed.append(row)
        PhoneNumber.objects.bulk_create(new_rows, batch_size=500)
        PhoneNumber.objects.bulk_update(changed, _OFFER_FIELDS, batch_size=500)
        added, updated = len(new_rows), len(changed)
    return {"added": added, "updated": updated}


# --- Inventory import (manage.py import_numbers, admin CSV page) ------------------

CSV_COLUMNS = ("phone_number", "rate", "capabilities")
CSV_OPTIONAL_COLUMNS = ("sid",)
MAX_RATE = Decimal("9999999999")
_SID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class ImportProblem:
    row: int  # as a spreadsheet shows it: the header is row 1
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field + ': ' if self.field else ''}{self.message}"


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: list[ImportProblem] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return len({problem.row for problem in self.invalid})

    def summary(self) -> str:
        text = f"Added {self.added}, updated {self.updated}, unchanged {self.unchanged}"
        return text + (f", {self.invalid_rows} invalid row(s) skipped." if self.invalid else ".")


def inventory_csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Split a CSV (header ``phone_number,rate,capabilities[,sid]``) into numbered
    rows of cells in that column order. Raises InvalidInputError for a bad header."""
    records = list(read_rows(text))
    # Header cells normalised like every spreadsheet's (tingting.spreadsheets.headers):
    # the number column may be named in Nepali or English ("फोन नम्बर", "Phone Number").
    header = [header_name(cell) for cell in records[0]] if records else []
    header = ["phone_number" if is_number_header(name) else name for name in header]
    expected = list(CSV_COLUMNS)
    if header not in (expected, expected + list(CSV_OPTIONAL_COLUMNS)):
        found = ",".join(cell.strip() for cell in records[0]) if records else ""
        raise InvalidInputError(
            f"The header row must be {','.join(CSV_COLUMNS)}[,sid]; found {found or 'nothing'}.",
            code="invalid_header",
            field="file",
        )
    width = len(header)
    rows = []
    for index, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((index, cells + [""] * (width - len(cells)) if len(cells) <= width else cells))
    return rows


def _parse_row(cells: list[str]) -> tuple[dict, list[tuple[str | None, str]]]:
    if len(cells) > len(CSV_COLUMNS) + len(CSV_OPTIONAL_COLUMNS):
        return {}, [(None, f"expected at most {len(CSV_COLUMNS) + 1} cells, found {len(cells)}")]
    raw_number, raw_rate, raw_caps = (cell.strip() for cell in cells[:3])
    raw_sid = cells[3].strip().lower() if len(cells) > 3 else ""
    values: dict = {}
    problems: list[tuple[str | None, str]] = []
    try:
        values["phone_number"] = to_e164(raw_number)
    except InvalidPhoneNumber as exc:
        problems.append(("phone_number", f"{raw_number!r} {exc}"))
    try:
        rate = Decimal(raw_rate)
        if not rate.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        problems.append(("rate", f"{raw_rate!r} is not a number"))
    else:
        if rate < 0 or rate > MAX_RATE:
            problems.append(("rate", f"{raw_rate} is outside 0..{MAX_RATE}"))
        elif rate != rate.to_integral_value():
            problems.append(("rate", f"{raw_rate} is not a whole number of credits"))
        else:
            values["rate"] = rate.quantize(Decimal("0.01"))
    names = {name.lower(): name for name in CAPABILITY_ORDER}
    given = [part.strip() for part in raw_caps.split(",") if part.strip()]
    unknown = [part for part in given if part.lower() not in names]
    if not given:
        problems.append(("capabilities", 'is empty; give e.g. "Voice, SMS"'))
    elif unknown:
        problems.append(("capabilities", f"unknown {', '.join(map(repr, unknown))}; use {', '.join(CAPABILITY_ORDER)}"))
    else:
        values.update(_capability_flags({names[part.lower()] for part in given}))
    if raw_sid and not _SID.match(raw_sid):
        problems.append(("sid", f"{raw_sid!r} is not 32 hexadecimal characters"))
    elif raw_sid:
        values["sid"] = raw_sid
    return values, problems


def inventory_import(*, rows: list[tuple[int, list[str]]], dry_run: bool = False) -> ImportResult:
    """Add or update inventory numbers from ``inventory_csv_rows`` output.

    Every row is validated; bad ones are reported with their row number and
    skipped, the good ones are written in one transaction. A number already in
    the inventory is updated (rate, capabilities), never duplicated, and keeps its
    SID and owner; a ``sid`` cell that contradicts the stored SID is a bad row.
    Safe to repeat: a second run reports the rows as unchanged.
    """
    result = ImportResult()
    parsed: list[tuple[int, dict]] = []
    seen_numbers: dict[str, int] = {}
    seen_sids: dict[str, int] = {}
    for index, cells in rows:
        values, problems = _parse_row(cells)
        number, sid = values.get("phone_number"), values.get("sid")
        if number and number in seen_numbers:
            problems.append(("phone_number", f"{number} is already on row {seen_numbers[number]}"))
        if sid and sid in seen_sids:
            problems.append(("sid", f"{sid} is already on row {seen_sids[sid]}"))
        if problems:
            result.invalid += [ImportProblem(index, name, message) for name, message in problems]
            continue
        seen_numbers[values["phone_number"]] = index  # a row without problems has its number
        if sid:
            seen_sids[sid] = index
        parsed.append((index, values))

    with transaction.atomic():
        existing = {
            row.phone_number: row
            for row in PhoneNumber.objects.select_for_update().filter(
                phone_number__in=[values["phone_number"] for _, values in parsed]
            )
        }
        sid_owners = dict(PhoneNumber.objects.filter(sid__in=list(seen_sids)).values_list("sid", "phone_number"))
        new_rows, changed = [], []
        for index, values in parsed:
            row = existing.get(values["phone_number"])
            sid = values.pop("sid", None)
            if row is not None and sid and sid != row.sid:
                result.invalid.append(ImportProblem(index, "sid", f"{row.phone_number} already has sid {row.sid}"))
            elif row is None and sid and sid in sid_owners:
                result.invalid.append(ImportProblem(index, "sid", f"{sid} is already the sid of {sid_owners[sid]}"))
            elif row is None:
                new_rows.append(PhoneNumber(**values, **({"sid": sid} if sid else {})))
            elif any(getattr(row, name) != values[name] for name in _OFFER_FIELDS):
                for name in _OFFER_FIELDS:
                    setattr(row, name, values[name])
                changed.append(row)
            else:
                result.unchanged += 1
        result.added, result.updated = len(new_rows), len(changed)
        if not dry_run:
            PhoneNumber.objects.bulk_create(new_rows, batch_size=500)
            PhoneNumber.objects.bulk_update(changed, _OFFER_FIELDS, batch_size=500)
    result.invalid.sort(key=lambda problem: problem.row)
    return result
