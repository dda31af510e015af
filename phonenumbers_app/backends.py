"""The default number backend: the operator's own inventory table.

Staff load numbers with ``manage.py import_numbers`` or the admin; buying and
releasing only change ownership here, there is no vendor to call.
"""

from __future__ import annotations

from phonenumbers_app.models import PhoneNumber
from tingting.providers.base import NumberBackend, NumberOffer


class LocalInventoryBackend(NumberBackend):
    name = "local"
    # The inventory table is this backend's whole stock: nothing to sync from it.
    is_local_inventory = True

    def available(self) -> list[NumberOffer]:
        rows = PhoneNumber.objects.filter(owner__isnull=True).order_by("phone_number")
        return [
            NumberOffer(
                phone_number=row.phone_number,
                sid=row.sid,
                rate=row.rate,
                capabilities=row.capabilities,
                friendly_name=row.friendly_name,
            )
            for row in rows
        ]

    def purchase(self, offer: NumberOffer) -> str:
        return ""

    def release(self, sid: str, vendor_id: str = "") -> None:
        return None
