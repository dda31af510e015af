"""Campaign writes: create (inline numbers or an uploaded file), update, delete."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction

from accounts.models import User
from campaigns.models import Attempt, Campaign, Recipient
from campaigns.services import imports
from campaigns.services.publish import import_publish_after_commit
from phonenumbers_app.selectors import owned_numbers_resolve
from tingting import spreadsheets
from tingting.errors import ConflictError, FieldError, InvalidInputError, NotFoundError, PayloadTooLargeError
from tingting.phones import InvalidPhoneNumber, ParsedNumber, parse_many

# What the caller IDs must do: SMS & PHONE calls first (its failover SMS uses the default sender
# when the number cannot text), a survey is a call.
CAPABILITY: dict[str, str] = {
    Campaign.Services.PHONE: "voice",
    Campaign.Services.SMS: "sms",
    Campaign.Services.SMS_PHONE: "voice",
    Campaign.Services.SURVEY: "voice",
}


def user_phone_resolve(*, owner: User, services: str, values: list) -> list:
    """Owned numbers (E.164, as shown, or SID) with the capability the service needs;
    400 naming ``user_phone.<i>``."""
    if not values:
        return []
    capability = CAPABILITY[services]
    found = owned_numbers_resolve(user=owner, values=[str(v) for v in values], capability=capability)
    errors, numbers = [], []
    for index, value in enumerate(values):
        number = found.get(str(value).strip())
        if number is None:
            errors.append(
                FieldError(
                    f"user_phone.{index}",
                    "unknown_number",
                    f"{value!r} is not one of your numbers with {capability} capability.",
                )
            )
        elif number not in numbers:
            numbers.append(number)
    if errors:
        raise InvalidInputError(errors[0].message, code="unknown_number", errors=errors)
    return numbers


def _parse_inline(values: list) -> list[ParsedNumber]:
    """Each value parsed (E.164, listed or not); the import's fast path first (same
    answers as tingting.phones), and on any invalid value ``parse_many``, which names
    every bad index."""
    parser = imports.NumberParser()
    numbers = []
    try:
        for value in values:
            if type(value) is int:
                value = str(value)
            elif type(value) is not str:  # floats, booleans, objects: parse_many explains
                raise InvalidPhoneNumber("must be a string or an integer")
            numbers.append(parser.parse_number(value))
    except InvalidPhoneNumber:
        parse_many(values, field="individual_number")  # raises, naming every bad index
        raise
    return numbers


@contextmanager
def _upload_path(upload: UploadedFile) -> Iterator[Path]:
    """A filesystem path for the upload (Django keeps large ones on disk already)."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def campaign_create(
    *,
    owner: User,
    name: str,
    services: str,
    description: str = "",
    individual_number: list | None = None,
    user_phone: list | None = None,
    send_to_number_file: UploadedFile | None = None,
) -> tuple[Campaign, dict]:
    """Create a campaign with its recipients; returns it and the ``import`` report.

    Inline numbers: any invalid entry → 400 naming each index; duplicates collapse.
    A file: checked (413/415/400) and imported in this transaction, or, over
    ``IMPORT_SYNC_ROWS`` rows, stored and imported by a worker after commit (report
    state ``pending``). Raises InvalidInputError when nothing valid remains. Not
    idempotent by itself (the view takes an ``Idempotency-Key``)."""
    individual_number = individual_number or []
    if individual_number and send_to_number_file is not None:
        raise InvalidInputError(
            "Send either individual_number or send_to_number_file, not both.",
            code="ambiguous_recipients",
            field="individual_number",
        )
    if not individual_number and send_to_number_file is None:
        raise InvalidInputError(
            "Give individual_number (a list of numbers) or send_to_number_file.",
            code="required",
            field="individual_number",
        )
    numbers = _parse_inline(individual_number) if individual_number else None
    phones = user_phone_resolve(owner=owner, services=services, values=user_phone or [])

    def new_campaign(**extra: object) -> Campaign:
        campaign = Campaign.objects.create(owner=owner, name=name, services=services, description=description, **extra)
        if phones:
            campaign.user_phone.set(phones)
        return campaign

    if numbers is not None:
        with transaction.atomic():
            campaign = new_campaign(import_state=Campaign.ImportState.NONE)
            report = imports.import_inline(campaign=campaign, numbers=numbers, values=individual_number).as_dict("done")
            campaign.import_report = report
            campaign.save(update_fields=["import_report"])
        return campaign, report

    upload = send_to_number_file
    assert upload is not None  # no numbers and no file was refused above
    if (upload.size or 0) > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            field="send_to_number_file",
        )
    with _upload_path(upload) as path:
        checked = spreadsheets.check_upload(path)
        if checked.expected_rows is None:
            checked.expected_rows = spreadsheets.count_xlsx_rows(
                path, sheet_bytes=checked.sheet_bytes, strings_bytes=checked.strings_bytes
            )
        if checked.expected_rows > settings.IMPORT_MAX_ROWS:
            raise spreadsheets.too_many_rows()
        if checked.expected_rows > settings.IMPORT_SYNC_ROWS:
            return _create_deferred(new_campaign, upload, checked.expected_rows)
        with transaction.atomic():
            campaign = new_campaign(import_state=Campaign.ImportState.DONE)
            header, imported = imports.import_file(campaign=campaign, path=path, checked=checked)
            campaign.usable_tags = header.usable_tags
            campaign.import_report = imported.as_dict("done")
            campaign.save(update_fields=["usable_tags", "import_report"])
        return campaign, campaign.import_report


def campaign_import_file(*, campaign: Campaign, upload: UploadedFile) -> dict:
    """Add the recipients of an uploaded file to an existing campaign (the v1 face's bulk
    file): the same checks (413/415/400) and importer as a create; numbers already in the
    campaign count as duplicates; the file's tag columns join ``usable_tags``. Over
    ``IMPORT_SYNC_ROWS`` rows the file is stored and imported by a worker after commit, as
    a create's is (report state ``pending``; the campaign's ``import_report`` follows it).
    Returns the import report. 409 while recipients are in flight or an import is."""
    if (upload.size or 0) > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", field="bulk_file"
        )
    with _upload_path(upload) as path:
        checked = spreadsheets.check_upload(path)
        if checked.expected_rows is None:
            checked.expected_rows = spreadsheets.count_xlsx_rows(
                path, sheet_bytes=checked.sheet_bytes, strings_bytes=checked.strings_bytes
            )
        if checked.expected_rows > settings.IMPORT_MAX_ROWS:
            raise spreadsheets.too_many_rows()
        deferred = checked.expected_rows > settings.IMPORT_SYNC_ROWS
        with transaction.atomic():
            locked = campaign_locked(campaign)
            if locked.import_state in (Campaign.ImportState.PENDING, Campaign.ImportState.RUNNING):
                raise ConflictError("The campaign's recipients are still being imported.", code="import_in_progress")
            if _has_in_flight(locked):
                raise ConflictError("The campaign is running; add recipients when it ends.", code="campaign_running")
            if deferred:
                _store_for_worker(locked, upload, checked.expected_rows)
                return locked.import_report
            header, report = imports.import_file(campaign=locked, path=path, checked=checked, skip_existing=True)
            locked.usable_tags = list(dict.fromkeys([*locked.usable_tags, *header.usable_tags]))
            locked.import_report = report.as_dict("done")
            locked.save(update_fields=["usable_tags", "import_report", "updated_at"])
    return locked.import_report


def _store_for_worker(campaign: Campaign, upload: UploadedFile, expected_rows: int) -> None:
    """In the caller's transaction (campaign row locked): keep the file, mark the import
    pending and publish the worker's import after commit (campaigns.import_recipients)."""
    # The shape of every import report (imports.ImportReport.as_dict), nothing read yet.
    campaign.import_state = Campaign.ImportState.PENDING
    campaign.import_report = imports.ImportReport().as_dict("pending", rows_done=0, rows_expected=expected_rows)
    upload.seek(0)
    extension = "xlsx" if upload.read(2) == b"PK" else "csv"
    upload.seek(0)
    campaign.import_file.save(f"campaign-{campaign.pk}.{extension}", upload, save=False)
    campaign.save(update_fields=["import_state", "import_report", "import_file", "updated_at"])
    import_publish_after_commit(campaign.pk)


def _create_deferred(
    new_campaign: Callable[..., Campaign], upload: UploadedFile, expected_rows: int
) -> tuple[Campaign, dict]:
    with transaction.atomic():
        campaign = new_campaign()
        _store_for_worker(campaign, upload, expected_rows)
    return campaign, campaign.import_report


def campaign_locked(campaign: Campaign) -> Campaign:
    """The campaign a view just read, locked; a delete that won the race leaves
    nothing to change (404, as if it came first)."""
    locked = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    if locked is None:
        raise NotFoundError("Campaign not found.", code="campaign_not_found")
    return locked


def _has_in_flight(campaign: Campaign) -> bool:
    return Recipient.objects.filter(campaign=campaign, status__in=Recipient.IN_FLIGHT).exists()


def campaign_update(*, campaign: Campaign, **changes: Any) -> Campaign:
    """Partial update of name, services, description, user_phone. Changing ``services``
    re-checks the caller IDs' capability; it is refused (409) while recipients are in flight."""
    fields = []
    with transaction.atomic():
        campaign = campaign_locked(campaign)
        services = changes.get("services", campaign.services)
        if services != campaign.services and _has_in_flight(campaign):
            raise ConflictError(
                "The campaign is running; its service cannot change now.", code="campaign_running", field="services"
            )
        for name in ("name", "services", "description"):
            if name in changes and getattr(campaign, name) != changes[name]:
                setattr(campaign, name, changes[name])
                fields.append(name)
        if "user_phone" in changes:
            campaign.user_phone.set(
                user_phone_resolve(owner=campaign.owner, services=services, values=changes["user_phone"])
            )
        elif "services" in fields:
            current = [p.phone_number for p in campaign.user_phone.all()]
            try:
                user_phone_resolve(owner=campaign.owner, services=services, values=current)
            except InvalidInputError as exc:
                raise InvalidInputError(
                    f"The campaign's caller IDs lack the capability {services} needs; send user_phone too.",
                    code="unknown_number",
                    field="user_phone",
                ) from exc
        if fields:
            campaign.save(update_fields=[*fields, "updated_at"])
    updated = Campaign.objects.prefetch_related("user_phone").filter(pk=campaign.pk).first()
    if updated is None:  # deleted right after this update committed
        raise NotFoundError("Campaign not found.", code="campaign_not_found")
    return updated


def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign and its recipients; 409 while recipients are in flight."""
    with transaction.atomic():
        locked = campaign_locked(campaign)
        if _has_in_flight(locked):
            raise ConflictError("The campaign is running; cancel it before deleting.", code="campaign_running")
        if locked.import_file:
            locked.import_file.delete(save=False)
        _delete_rows(locked)
        locked.delete()


def _delete_rows(campaign: Campaign) -> None:
    """The campaign's attempts and recipients, one statement each. Left to the
    ORM's cascade, a campaign of a million recipients loads every recipient into
    memory to find its attempts (≈ 700 MB and 20 s inside the request)."""
    Attempt.objects.filter(run__campaign=campaign).delete()  # nothing refers to attempts: a fast delete
    with connection.cursor() as cursor:
        # Recipients: attempts (their only reverse relation) are gone, so the
        # cascade has nothing left to do; raw because the ORM would still collect.
        cursor.execute(
            f"DELETE FROM {Recipient._meta.db_table} WHERE campaign_id = %s",  # noqa: S608 - table name only
            [campaign.pk],
        )
