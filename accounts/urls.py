from accounts import views
from tingting.api.routing import both

urlpatterns = [
    *both("api/accounts/login", views.LoginView.as_view(), "login"),
    *both("api/accounts/user_details", views.UserDetailsView.as_view(), "user-details"),
    *both("api/accounts/token/refresh", views.TokenRefreshView.as_view(), "token-refresh"),
    *both("api/accounts/api-keys", views.ApiKeysView.as_view(), "api-keys"),
    *both("api/accounts/api-keys/<int:key_id>", views.ApiKeyDetailView.as_view(), "api-key"),
    *both("api/accounts/settings", views.AccountSettingsView.as_view(), "account-settings"),
    *both("api/system/dnc", views.DncView.as_view(), "dnc"),
]
