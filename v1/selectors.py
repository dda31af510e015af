"""v1 reads that are the face's own (the rest come from the apps' selectors)."""

from __future__ import annotations

from v1.errors import V1MessageError
from v1.models import ApiToken


def token_active_get(*, user) -> ApiToken:
    """The account's active v1 token; a 404 ``{"message"}`` when there is none."""
    token = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by().first()
    if token is None:
        raise V1MessageError("No API token found. Please generate one first.", status=404, code="no_token")
    return token
