from rest_framework import serializers

from accounts.models import ApiKey, User


class LoginInput(serializers.Serializer):
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenRefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class UserDataOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email"]


class UserDetailsOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "first_name", "last_name", "email", "username",
            "is_verified_email", "contact_number", "is_verified_phone", "address",
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
