"""The staff console for campaigns: campaign and recipient pages (``campaigns``), run
pages (``runs``), live progress (``progress``), pause / resume / cancel (``control``)."""

from campaigns.admin import campaigns, runs  # noqa: F401  (register the model admins)
