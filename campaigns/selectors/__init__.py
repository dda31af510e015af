"""Every campaign read, owner-scoped: campaigns, recipients, runs, reports."""

from campaigns.selectors import reports
from campaigns.selectors.campaigns import MAX_ID, campaign_get, campaign_list
from campaigns.selectors.recipients import recipient_get, recipient_list
from campaigns.selectors.runs import PROGRESS_STATUSES, progress_of, run_credits, run_list_with_counts, run_progress

__all__ = [
    "MAX_ID",
    "PROGRESS_STATUSES",
    "campaign_get",
    "campaign_list",
    "progress_of",
    "recipient_get",
    "recipient_list",
    "reports",
    "run_credits",
    "run_list_with_counts",
    "run_progress",
]
