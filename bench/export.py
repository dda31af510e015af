"""Report export: the endpoint's full path against a raw xlsxwriter write of the same rows."""

from __future__ import annotations

import resource
import tempfile
import threading
import time

import xlsxwriter
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from campaigns.models import Campaign, Recipient
from campaigns.selectors import reports


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


class PeakRss:
    """Samples this process's resident memory every 10 ms while active."""

    def __enter__(self):
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.start


def run(quick: bool, out) -> None:
    count = 10_000 if quick else 100_000
    user = User.objects.create_user(email=f"bench-export-{time.time_ns()}@bench.local", password=None)
    campaign = Campaign.objects.create(
        owner=user, name="bench export", services="SMS", usable_tags=["tags_name", "tags_city"]
    )
    batch = 10_000
    for start in range(0, count, batch):
        Recipient.objects.bulk_create(
            Recipient(
                campaign=campaign,
                number=f"+9779800{i:06d}",
                status="completed",
                duration=30,
                playback=30,
                credit_consumed=1,
                attempts=1,
                tags={"tags_name": f"Name {i}", "tags_city": "काठमाडौं"},
            )
            for i in range(start, min(start + batch, count))
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    try:
        with PeakRss() as rss:
            started = time.perf_counter()
            response = client.get("/api/system/campaigns/report/download/", {"campaign_id": campaign.pk})
            size = sum(len(chunk) for chunk in response.streaming_content)
            endpoint = time.perf_counter() - started
        rss_growth = rss.growth

        rows = list(reports.report_rows(campaign))
        started = time.perf_counter()
        with tempfile.TemporaryFile() as handle:
            workbook = xlsxwriter.Workbook(handle, {"constant_memory": True})
            sheet = workbook.add_worksheet()
            sheet.write_row(0, 0, reports.report_columns(campaign))
            for index, row in enumerate(rows, start=1):
                sheet.write_row(index, 0, row)
            workbook.close()
        raw = time.perf_counter() - started
        out.write(
            f"export: {count:,} recipients, {size / 1e6:.1f} MB xlsx; raw xlsxwriter {raw:.2f}s, "
            f"endpoint {endpoint:.2f}s, ratio {endpoint / raw:.2f}x (target <= 1.3x); "
            f"RSS growth during the endpoint {rss_growth:.1f} MB (target < 50 MB)"
        )
    finally:
        campaign.delete()
        user.delete()
