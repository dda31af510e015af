"""The staff console for campaigns: campaign and recipient pages (``campaigns``), run
pages (``runs``), live progress (``progress``), pause / resume / cancel (``control``),
begin (``begin``), listen and download (``listen``), front-page panels (``front``)."""

from campaigns.admin import campaigns, front, recipients, runs  # noqa: F401  (register the admins and panels)
