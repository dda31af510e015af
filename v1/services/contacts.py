"""v1 contact writes: the campaigns app's recipient services, with the v1 ``other_variables``
(any names) kept as the campaign's tags (``tags_<name>``, usable as ``{tags_<name>}``)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from accounts.models import User
from campaigns.models import Campaign, Recipient
from campaigns.selectors import recipient_get
from campaigns.services.campaign import campaign_import_file, campaign_locked
from campaigns.services.imports import normalise_column
from campaigns.services.recipients import recipient_add, recipient_delete, recipient_update
from tingting.errors import DomainError, InvalidInputError


def _tags(*, campaign: Campaign, variables: dict) -> dict:
    """``{"First Name": "Ram"}`` → ``{"tags_first_name": "Ram"}``; new names join the
    campaign's ``usable_tags`` (under its row lock)."""
    tags = {}
    for key, value in variables.items():
        name = normalise_column(key)
        if not name:
            raise InvalidInputError(f"{key!r} is not a usable variable name.", field=f"other_variables.{key}")
        tags[f"tags_{name}"] = value
    new = [tag for tag in tags if tag not in (campaign.usable_tags or [])]
    if new:
        with transaction.atomic():
            locked = campaign_locked(campaign)
            locked.usable_tags = list(dict.fromkeys([*(locked.usable_tags or []), *new]))
            locked.save(update_fields=["usable_tags", "updated_at"])
        campaign.usable_tags = locked.usable_tags
    return tags


def contact_add(*, campaign: Campaign, number: object, other_variables: dict | None = None) -> Recipient:
    """One contact (400 bad number or variables, 409 already in the campaign)."""
    tags = _tags(campaign=campaign, variables=other_variables or {})
    return recipient_add(campaign=campaign, number=number, available_tags=tags)


def contacts_add_many(*, campaign: Campaign, contacts: list[dict]) -> dict:
    """Each of ``contacts`` (``{number, other_variables?}``) added on its own: the valid ones
    are created, numbers already in the campaign skipped, the rest listed with their error."""
    created, skipped, errors = [], 0, []
    for index, item in enumerate(contacts):
        variables = item.get("other_variables") or {}
        try:
            if not isinstance(variables, dict):
                raise InvalidInputError("other_variables must be an object.", field="other_variables")
            created.append(contact_add(campaign=campaign, number=item.get("number"), other_variables=variables))
        except DomainError as exc:
            if exc.code == "number_exists":
                skipped += 1
            else:
                errors.append({"index": index, "number": str(item.get("number"))[:32], "error": exc.message})
    return {"created": len(created), "skipped": skipped, "contacts": created, "errors": errors}


def contact_update(
    *, user: User, contact_id: int, number: object = None, other_variables: dict | None = None
) -> Recipient:
    """Change the number and/or replace the variables; 409 while in flight or a duplicate."""
    changes = {}
    if number is not None:
        changes["number"] = number
    if other_variables is not None:
        campaign = recipient_get(user=user, recipient_id=contact_id).campaign
        changes["available_tags"] = _tags(campaign=campaign, variables=other_variables)
    return recipient_update(user=user, recipient_id=contact_id, **changes)


def contact_attributes_merge(*, user: User, contact_id: int, values: dict) -> Recipient:
    """Merge ``values`` into the contact's variables (existing names are overwritten)."""
    recipient = recipient_get(user=user, recipient_id=contact_id)
    tags = {**recipient.tags, **_tags(campaign=recipient.campaign, variables=values)}
    return recipient_update(user=user, recipient_id=contact_id, available_tags=tags)


def contact_delete(*, user: User, contact_id: int) -> Recipient:
    return recipient_delete(user=user, recipient_id=contact_id)


def contacts_import(*, campaign: Campaign, upload: UploadedFile) -> dict:
    """A bulk file (.xlsx/.csv) into the campaign through the seed importer and its limits;
    answers the validation preview: rejected rows, the first five values of each column
    imported, and how many rows validated. A file over ``IMPORT_SYNC_ROWS`` rows is left to
    the worker: the preview is empty, ``total_validated_rows`` null and ``import`` the
    pending report (the campaign's recipients fill in as the worker commits batches)."""
    before = Recipient.objects.filter(campaign=campaign).aggregate(last=Max("id"))["last"] or 0
    report = campaign_import_file(campaign=campaign, upload=upload)
    if report["state"] == Campaign.ImportState.PENDING:
        # Over IMPORT_SYNC_ROWS: a worker imports it; nothing validated yet (202).
        return {"error_list": [], "samples": [], "total_validated_rows": None, "import": report}
    campaign.refresh_from_db(fields=["usable_tags"])
    first = list(Recipient.objects.filter(campaign=campaign, pk__gt=before).order_by("id")[:5])
    samples = [{"column": "number", "sample": [r.number for r in first]}]
    for tag in campaign.usable_tags or []:
        samples.append({"column": tag.removeprefix("tags_"), "sample": [r.tags.get(tag) for r in first]})
    return {
        "error_list": [{"row": e["row"], "value": e["value"], "error": e["error"]} for e in report["invalid"]],
        "samples": samples,
        "total_validated_rows": report["rows"] - report["invalid_count"],
    }
