from __future__ import annotations

from rest_framework import serializers

from accounts.serializers import LoginInput  # noqa: F401 - the same login fields as the seed face


class V1RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096, required=False, allow_blank=True)


class V1TokenOutput(serializers.Serializer):
    token = serializers.CharField(source="masked", help_text="masked except the last 4 characters")
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True)
    created_at = serializers.DateTimeField()


class V1UserProfileOutput(serializers.Serializer):
    def to_representation(self, user) -> dict:
        return {
            "id": user.pk,
            "user": {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "username": user.username or user.email,
                "email": user.email,
            },
            "profile_picture": None,
            "contact_no": user.contact_number,
            "address": user.address,
            "is_verified_contact": user.is_verified_phone,
        }


USER_PROFILE_SCHEMA = {
    "id": serializers.IntegerField(),
    "user": serializers.DictField(),
    "profile_picture": serializers.CharField(allow_null=True),
    "contact_no": serializers.CharField(),
    "address": serializers.CharField(),
    "is_verified_contact": serializers.BooleanField(),
}
