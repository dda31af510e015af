"""Ledger movements against the bare row update they are built on."""

from __future__ import annotations

import time

from django.db import transaction
from django.db.models import F

from accounts import ledger
from accounts.models import LedgerEntry, User


def run(quick: bool, out) -> None:
    count = 200 if quick else 2000
    user = User.objects.create_user(email=f"bench-ledger-{time.time_ns()}@bench.local", password=None)
    ledger.top_up(user_id=user.pk, amount=count * 10)

    started = time.perf_counter()
    for _ in range(count):
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).values_list("credits", flat=True).get()
            User.objects.filter(pk=user.pk).update(credits=F("credits") - 1, credits_held=F("credits_held") + 1)
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    for index in range(count):
        ledger.hold(user_id=user.pk, amount=1, idempotency_key=f"bench:{user.pk}:{index}")
    measured = time.perf_counter() - started

    out.write(
        f"ledger: {count} holds; bare locked UPDATE {count / baseline:,.0f}/s, "
        f"ledger.hold {count / measured:,.0f}/s, ratio {measured / baseline:.2f}x the baseline time"
    )
    LedgerEntry.objects.filter(user=user).delete()
    user.delete()
