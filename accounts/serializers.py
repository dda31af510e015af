from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.calling import is_valid_time_zone
from accounts.models import WEEKDAYS, ApiKey, User
from tingting.phones import national_display


class LoginInput(serializers.Serializer):
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenRefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenRefreshChecked(TokenRefreshSerializer):
    """simplejwt's refresh, refusing what every other endpoint refuses: a token of
    an account that is gone or inactive, or issued before its password changed
    (the access check compares the same ``hash_password`` claim)."""

    def validate(self, attrs: dict) -> dict:
        token = self.token_class(attrs["refresh"])
        user_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
        user = User.objects.filter(pk=user_id).only("password", "is_active").first() if user_id else None
        if user is None or not user.is_active:
            raise AuthenticationFailed("No active account found for the given token.", code="no_active_account")
        if token.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                "The password changed since this token was issued; log in again.", code="password_changed"
            )
        return super().validate(attrs)


class UserDataOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email"]


class UserDetailsOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "username",
            "is_verified_email",
            "contact_number",
            "is_verified_phone",
            "address",
        ]


class CreditsOutput(serializers.Serializer):
    available = serializers.IntegerField(source="credits")
    on_hold = serializers.IntegerField(source="credits_held")


class ApiKeyCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ApiKeyOutput(serializers.ModelSerializer):
    prefix = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]

    def get_prefix(self, key: ApiKey) -> str:
        return f"tt_{key.prefix}_"


# --- Account settings (docs/api/API_CONTRACT.md §7) -------------------------------------------


class CallingHoursInput(serializers.Serializer):
    start = serializers.TimeField(input_formats=["%H:%M", "%H:%M:%S"])
    end = serializers.TimeField(input_formats=["%H:%M", "%H:%M:%S"])
    weekdays = serializers.ListField(child=serializers.CharField(max_length=9), min_length=1, max_length=7)

    def validate_weekdays(self, value: list[str]) -> list[str]:
        days = []
        for index, raw in enumerate(value):
            name = raw.strip().lower()[:3]
            if name not in WEEKDAYS or raw.strip().lower() not in (name, _FULL_DAY.get(name)):
                raise serializers.ValidationError(
                    {index: [f"{raw!r} is not a weekday (mon, tue, wed, thu, fri, sat, sun)."]}
                )
            days.append(name)
        return sorted(set(days), key=WEEKDAYS.index)


_FULL_DAY = {
    "mon": "monday",
    "tue": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}


class RetryRuleInput(serializers.Serializer):
    count = serializers.IntegerField(min_value=0, max_value=5)
    delay_seconds = serializers.IntegerField(min_value=60, max_value=7 * 24 * 3600)


class RetryPolicyInput(serializers.Serializer):
    unanswered = RetryRuleInput(required=False)
    failed = RetryRuleInput(required=False)


class AccountSettingsUpdateInput(serializers.Serializer):
    """Any subset of the settings; omitted keys keep their value."""

    time_zone = serializers.CharField(max_length=64, required=False)
    calling_hours = CallingHoursInput(required=False)
    retry_policy = RetryPolicyInput(required=False)
    max_calls_per_second = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    max_concurrent_calls = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    webhook_url = serializers.CharField(max_length=500, required=False, allow_blank=True, trim_whitespace=True)
    webhook_secret = serializers.CharField(
        min_length=16, max_length=128, required=False, trim_whitespace=False, write_only=True
    )
    regenerate_webhook_secret = serializers.BooleanField(required=False, default=False)

    def validate_time_zone(self, value: str) -> str:
        if not is_valid_time_zone(value):
            raise serializers.ValidationError(
                f"{value!r} is not an IANA time zone (e.g. Asia/Kathmandu).", code="invalid_time_zone"
            )
        return value

    def _ceiling(self, value: int | None, limit: int) -> int | None:
        if value is not None and value > limit:
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {limit} (the operator's limit).", code="max_value"
            )
        return value

    def validate_max_calls_per_second(self, value: int | None) -> int | None:
        return self._ceiling(value, settings.ACCOUNT_MAX_CALLS_PER_SECOND)

    def validate_max_concurrent_calls(self, value: int | None) -> int | None:
        return self._ceiling(value, settings.ACCOUNT_MAX_CONCURRENT_CALLS)


class AccountSettingsOutput(serializers.Serializer):
    time_zone = serializers.CharField(source="user.time_zone")
    calling_hours = serializers.SerializerMethodField()
    retry_policy = serializers.SerializerMethodField()
    max_calls_per_second = serializers.IntegerField(source="calls_per_second")
    max_concurrent_calls = serializers.IntegerField(source="concurrent_calls")
    limits = serializers.SerializerMethodField()
    webhook_url = serializers.CharField()
    webhook_secret_set = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_calling_hours(self, obj) -> dict:
        return {
            "start": obj.calling_start.strftime("%H:%M"),
            "end": obj.calling_end.strftime("%H:%M"),
            "weekdays": obj.weekdays,
        }

    def get_retry_policy(self, obj) -> dict:
        return {
            "unanswered": {"count": obj.retry_unanswered_count, "delay_seconds": obj.retry_unanswered_delay},
            "failed": {"count": obj.retry_failed_count, "delay_seconds": obj.retry_failed_delay},
        }

    def get_limits(self, obj) -> dict:
        return {
            "max_calls_per_second": settings.ACCOUNT_MAX_CALLS_PER_SECOND,
            "max_concurrent_calls": settings.ACCOUNT_MAX_CONCURRENT_CALLS,
        }

    def get_webhook_secret_set(self, obj) -> bool:
        return bool(obj.webhook_secret)


# --- Do-not-contact list (docs/api/API_CONTRACT.md §7) ------------------------------------------


class DncNumbersInput(serializers.Serializer):
    """``{"number"}`` or ``{"numbers": [...]}`` (up to 10,000); parsed in the view with tingting.phones."""

    number = serializers.JSONField(required=False)
    numbers = serializers.ListField(child=serializers.JSONField(), required=False, max_length=10_000, allow_empty=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if ("number" in attrs) == ("numbers" in attrs):
            raise serializers.ValidationError({"number": ["Give either number or numbers."]}, code="required")
        return attrs


class DncOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.SerializerMethodField()
    e164 = serializers.CharField(source="number")
    reason = serializers.CharField()
    source = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_number(self, obj) -> str:
        return national_display(obj.number)
