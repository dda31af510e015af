"""Builders for campaign tests: owned numbers, campaigns with recipients, upload files."""

from __future__ import annotations

import io
import itertools
import wave
import zipfile

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Campaign, Recipient
from phonenumbers_app.models import PhoneNumber

_seq = itertools.count(1)


def np_mobile(index: int) -> str:
    """A valid Nepali mobile number, national form (98410xxxxx)."""
    return f"98410{index:05d}"


def owned_number(user, *, voice: bool = True, sms: bool = True) -> PhoneNumber:
    return PhoneNumber.objects.create(
        phone_number=f"+97714{next(_seq):06d}", rate=40, owner=user, has_voice=voice, has_sms=sms
    )


def make_campaign(
    user,
    *,
    name: str = "Sample",
    services: str = "SMS",
    recipients: int = 1,
    usable_tags: list[str] | None = None,
    status: str = Recipient.Status.NOT_STARTED,
) -> Campaign:
    campaign = Campaign.objects.create(owner=user, name=name, services=services, usable_tags=usable_tags or [])
    Recipient.objects.bulk_create(
        [Recipient(campaign=campaign, number=f"+977{np_mobile(i)}", status=status) for i in range(recipients)]
    )
    return campaign


def xlsx_bytes(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def rezip(xlsx: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same workbook with some parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def begin_url(campaign) -> str:
    return f"/api/system/campaigns/{campaign.pk}/begin/"


def wav_upload(seconds: float = 40.0, name: str = "greeting.wav") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(seconds * 8000))
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="audio/wav")
