from campaigns.models.campaign import Campaign, Recipient
from campaigns.models.failover import FailoverSms
from campaigns.models.run import Attempt, Run

__all__ = ["Attempt", "Campaign", "FailoverSms", "Recipient", "Run"]
