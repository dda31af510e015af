from campaigns.models.campaign import Campaign, Recipient

__all__ = ["Campaign", "Recipient"]
