"""Survey paths of API_CONTRACT_V1 §5, each with and without the trailing slash."""

from surveys import views
from tingting.api.routing import both

P = "api/v1/"

urlpatterns = [
    *both(P + "campaign/create/<int:campaign_id>/survey", views.SurveyStepsView.as_view(), "v1-survey-steps"),
    *both(P + "run-survey/<int:campaign_id>", views.RunSurveyView.as_view(), "v1-run-survey"),
    *both(P + "test-survey/<int:contact_id>", views.TestSurveyView.as_view(), "v1-test-survey"),
    *both(P + "download/survey/<int:campaign_id>/report", views.SurveyReportView.as_view(), "v1-survey-report"),
]
