"""Paths of docs/api/API_CONTRACT_V1.md, each served with and without the trailing slash."""

from tingting.api.routing import both
from v1.views import account, auth, campaigns, contacts, otp, runs

P = "api/v1/"

urlpatterns: list = [
    *both(P + "auths/login", auth.LoginView.as_view(), "v1-login"),
    *both(P + "auths/login/refresh", auth.RefreshView.as_view(), "v1-login-refresh"),
    *both(P + "auths/generate-api-keys", auth.GenerateTokenView.as_view(), "v1-generate-api-keys"),
    *both(P + "auths/get-api-keys", auth.GetTokenView.as_view(), "v1-get-api-keys"),
    *both(P + "auths/user-profile", auth.UserProfileView.as_view(), "v1-user-profile"),
    # The Laravel package reads the profile here.
    *both(P + "auths/user-detail", auth.UserProfileView.as_view(), "v1-user-detail"),
    *both(P + "active-broker-phone", account.ActiveNumbersView.as_view(), "v1-active-broker-phone"),
    *both(P + "phone-number/active", account.ActiveNumbersView.as_view(), "v1-phone-number-active"),
    *both(P + "voice-models", account.VoiceModelsView.as_view(), "v1-voice-models"),
    *both(P + "auths/send/otp", otp.OtpSendView.as_view(), "v1-otp-send"),
    *both(P + "auths/list/send-otps", otp.OtpListView.as_view(), "v1-otp-list"),
    *both(P + "auths/verify/otp", otp.OtpVerifyV1View.as_view(), "v1-otp-verify"),
    *both(P + "dashboard", account.DashboardView.as_view(), "v1-dashboard"),
    *both(P + "campaign", campaigns.CampaignListView.as_view(), "v1-campaign-list"),
    *both(P + "campaign/create", campaigns.CampaignCreateView.as_view(), "v1-campaign-create"),
    *both(P + "campaign/<int:campaign_id>", campaigns.CampaignView.as_view(), "v1-campaign"),
    *both(
        P + "campaign/create/<int:campaign_id>/message", campaigns.MessageSettingsView.as_view(), "v1-campaign-message"
    ),
    *both(P + "campaign/<int:campaign_id>/add-contact", contacts.ContactAddView.as_view(), "v1-add-contact"),
    *both(P + "campaign/create/<int:campaign_id>/detail", contacts.BulkFileView.as_view(), "v1-bulk-file"),
    *both(P + "campaign-detail/<int:campaign_id>", contacts.CampaignDetailView.as_view(), "v1-campaign-detail"),
    *both(P + "phone-number/update/<int:contact_id>", contacts.ContactUpdateView.as_view(), "v1-contact-update"),
    *both(P + "phone-number/delete/<int:contact_id>", contacts.ContactDeleteView.as_view(), "v1-contact-delete"),
    *both(P + "campaign/<int:contact_id>/attributes", contacts.AttributesView.as_view(), "v1-contact-attributes"),
    *both(P + "test-speak/riri/<int:campaign_id>", runs.TestSpeakView.as_view(), "v1-test-speak"),
    *both(P + "demo-call/<int:contact_id>", runs.DemoCallView.as_view(), "v1-demo-call"),
    *both(P + "run-campaign/<int:campaign_id>", runs.RunCampaignView.as_view(), "v1-run-campaign"),
    *both(P + "campaign/emergency-stop/<int:campaign_id>", runs.EmergencyStopView.as_view(), "v1-emergency-stop"),
    *both(P + "download/report/<int:campaign_id>", runs.ReportView.as_view(), "v1-report"),
]
