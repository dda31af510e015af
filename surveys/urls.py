"""Survey paths of docs/api/API_CONTRACT_V1.md §5, each with and without the trailing slash."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from surveys import views
from tingting.api.routing import both

P = "api/v1/"

urlpatterns: list = [
    *both(P + "campaign/create/<int:campaign_id>/survey", views.SurveyStepsView.as_view(), "v1-survey-steps"),
    *both(P + "run-survey/<int:campaign_id>", views.RunSurveyView.as_view(), "v1-run-survey"),
    *both(P + "test-survey/<int:contact_id>", views.TestSurveyView.as_view(), "v1-test-survey"),
    *both(P + "download/survey/<int:campaign_id>/report", views.SurveyReportView.as_view(), "v1-survey-report"),
]

if settings.DEBUG:
    # The development server (README command 1) plays survey prompts and recordings;
    # in production nginx serves these two folders (deploy/nginx.conf), nothing else of media.
    urlpatterns.append(
        re_path(
            r"^media/(?P<path>survey-(?:audio|recordings)/[\w/.-]+)$", serve, {"document_root": settings.MEDIA_ROOT}
        )
    )
