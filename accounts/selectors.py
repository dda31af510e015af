"""Account reads."""

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import AccountSettings, ApiKey, DoNotContact, User
from tingting.errors import NotFoundError
from tingting.outbound_webhooks import WebhookTarget


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True)


def api_key_get(*, user: User, key_id: int) -> ApiKey:
    key = api_key_list(user=user).filter(pk=key_id).first()
    if key is None:
        raise NotFoundError("API key not found.")
    return key


def dnc_list(*, user: User, numbers: list[str] | None = None) -> QuerySet[DoNotContact]:
    """The account's do-not-contact numbers, newest first (optionally only these E.164
    ``numbers``: the forms one number the client sent may stand for)."""
    rows = DoNotContact.objects.filter(user=user)
    if numbers:
        rows = rows.filter(number__in=numbers)
    return rows.order_by("-created_at", "-id")


def dnc_numbers_among(*, user: User, numbers: list[str]) -> set[str]:
    """The E.164 ``numbers`` that are on the account's do-not-contact list (one query).

    For the dispatcher: recipients whose number is returned are skipped and
    marked failed with error ``dnc``, never handed to a provider."""
    if not numbers:
        return set()
    return set(DoNotContact.objects.filter(user=user, number__in=set(numbers)).values_list("number", flat=True))


def webhook_targets(user_ids: Iterable[int]) -> dict[int, WebhookTarget]:
    """The status-webhook URL and secret of each account among ``user_ids`` that set
    a URL (one query). ``tingting.outbound_webhooks`` asks it through the resolver
    ``AccountsConfig.ready`` registers."""
    rows = AccountSettings.objects.filter(user_id__in=list(user_ids)).exclude(webhook_url="")
    return {
        user_id: WebhookTarget(url=url, secret=secret)
        for user_id, url, secret in rows.values_list("user_id", "webhook_url", "webhook_secret")
    }
