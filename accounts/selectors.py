"""Account reads."""

from accounts.models import ApiKey, User


def api_key_list(*, user: User):
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True)


def api_key_get(*, user: User, key_id: int) -> ApiKey:
    from tingting.api.errors import NotFoundError

    key = api_key_list(user=user).filter(pk=key_id).first()
    if key is None:
        raise NotFoundError("API key not found.")
    return key
