"""Contacts, lists and list membership: every write."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from tingting.errors import ConflictError, NotFoundError
from tingting.phones import split_country_code
from tling import selectors
from tling.models import Contact, ContactList, Membership

_UNSET = object()


def _lock_or_404(row: Contact | ContactList) -> None:
    """Lock the row a view just read, inside the caller's transaction: a delete that
    won the race leaves nothing to update (404, as if it came first)."""
    if not type(row).objects.select_for_update().filter(pk=row.pk).exists():
        label = "Contact" if isinstance(row, Contact) else "List"
        raise NotFoundError(f"{label} not found.")


def _duplicate(number: str) -> ConflictError:
    return ConflictError(
        f"A contact with phone number {number} already exists.", code="duplicate_phone_number", field="phoneNumber"
    )


def contact_create(
    *, owner: User, name: str, phone_number: str, email: str | None = None, birth_date: date | None = None
) -> Contact:
    """Create a contact from an E.164 number. Raises ConflictError (409) when the
    owner already has that number. Not idempotent by itself (the view's
    Idempotency-Key is)."""
    code, national = split_country_code(phone_number)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                owner=owner,
                name=name,
                phone_code=code,
                phone_national=national,
                email=email or None,
                birth_date=birth_date,
            )
    except IntegrityError as exc:
        raise _duplicate(phone_number) from exc
    contact.lists_count = 0
    return contact


def contact_update(
    *, contact: Contact, name: Any = _UNSET, phone_number: Any = _UNSET, email: Any = _UNSET, birth_date: Any = _UNSET
) -> Contact:
    """Change the given fields; ConflictError (409) on another contact's number. Repeat-safe."""
    fields = ["updated_at"]
    if name is not _UNSET:
        contact.name = name
        fields.append("name")
    if phone_number is not _UNSET:
        contact.phone_code, contact.phone_national = split_country_code(phone_number)
        fields += ["phone_code", "phone_national"]
    if email is not _UNSET:
        contact.email = email or None
        fields.append("email")
    if birth_date is not _UNSET:
        contact.birth_date = birth_date
        fields.append("birth_date")
    try:
        with transaction.atomic():
            _lock_or_404(contact)
            contact.save(update_fields=fields)
    except IntegrityError as exc:
        raise _duplicate(contact.e164) from exc
    return contact


def contact_delete(*, contact: Contact) -> None:
    """Delete a contact and its list memberships."""
    contact.delete()


def contacts_delete(*, owner: User, ids: list[uuid.UUID]) -> int:
    """Delete several contacts, all or none: any unknown or foreign id raises
    NotFoundError (404) and nothing is deleted."""
    with transaction.atomic():
        queryset = selectors.contacts_owned(owner=owner, ids=ids).select_for_update()
        deleted, _ = Contact.objects.filter(pk__in=list(queryset.values_list("pk", flat=True))).delete()
    return deleted


def list_create(*, owner: User, name: str) -> ContactList:
    return ContactList.objects.create(owner=owner, name=name)


def list_update(*, contact_list: ContactList, name: str) -> ContactList:
    """Rename a list; NotFoundError (404) when it was deleted meanwhile."""
    contact_list.name = name
    with transaction.atomic():
        _lock_or_404(contact_list)
        contact_list.save(update_fields=["name", "updated_at"])
    return contact_list


def list_delete(*, contact_list: ContactList) -> None:
    """Delete a list; its contacts stay."""
    contact_list.delete()


def list_add_contacts(*, contact_list: ContactList, ids: list[uuid.UUID]) -> None:
    """Add the owner's contacts to the list; members already there are a no-op.
    Any unknown or foreign contact: NotFoundError (404), nothing added."""
    with transaction.atomic():
        _lock_or_404(contact_list)
        # Raises unless every id is the owner's contact, so the ids are the contacts.
        selectors.contacts_owned(owner=contact_list.owner_id, ids=ids)
        Membership.objects.bulk_create(
            [Membership(contact_list=contact_list, contact_id=pk) for pk in ids], ignore_conflicts=True
        )
        ContactList.objects.filter(pk=contact_list.pk).update(updated_at=timezone.now())


def list_remove_contacts(*, contact_list: ContactList, ids: list[uuid.UUID]) -> None:
    """Remove contacts from the list (non-members are a no-op). Any unknown or
    foreign contact: NotFoundError (404), nothing removed."""
    with transaction.atomic():
        _lock_or_404(contact_list)
        selectors.contacts_owned(owner=contact_list.owner_id, ids=ids)
        Membership.objects.filter(contact_list=contact_list, contact_id__in=ids).delete()
        ContactList.objects.filter(pk=contact_list.pk).update(updated_at=timezone.now())
