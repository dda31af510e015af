from campaigns.models.campaign import Campaign, Recipient
from campaigns.models.run import Attempt, Run

__all__ = ["Attempt", "Campaign", "Recipient", "Run"]
