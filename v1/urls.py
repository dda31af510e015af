"""Paths of API_CONTRACT_V1.md, each served with and without the trailing slash."""

from tingting.api.routing import both
from v1.views import auth

P = "api/v1/"

urlpatterns: list = [
    *both(P + "auths/login", auth.LoginView.as_view(), "v1-login"),
    *both(P + "auths/login/refresh", auth.RefreshView.as_view(), "v1-login-refresh"),
    *both(P + "auths/generate-api-keys", auth.GenerateTokenView.as_view(), "v1-generate-api-keys"),
    *both(P + "auths/get-api-keys", auth.GetTokenView.as_view(), "v1-get-api-keys"),
    *both(P + "auths/user-profile", auth.UserProfileView.as_view(), "v1-user-profile"),
]
