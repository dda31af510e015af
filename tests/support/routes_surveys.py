"""Owned routes of surveys (the v1 face, docs/api/API_CONTRACT_V1.md §5), for the isolation matrix."""

from surveys.services.steps import survey_steps_replace
from tests.support.isolation import owned_route
from tests.support.surveys import STEPS, survey_campaign


def _survey(owner, *, steps: bool = True):
    campaign = survey_campaign(owner, recipients=2)
    if steps:
        survey_steps_replace(user=owner, campaign_id=campaign.pk, steps=[STEPS[0], STEPS[3]])
    return campaign


def _steps_url(owner) -> str:
    return f"/api/v1/campaign/create/{_survey(owner).pk}/survey/"


@owned_route("survey steps", "GET", face="v1")
def _steps_get(owner):
    return _steps_url(owner), None


@owned_route("survey steps replace", "POST", face="v1")
def _steps_post(owner):
    return _steps_url(owner), {"steps": [STEPS[0]]}


@owned_route("survey steps replace (PUT)", "PUT", face="v1")
def _steps_put(owner):
    return _steps_url(owner), {"steps": [STEPS[0]]}


@owned_route("survey steps delete", "DELETE", face="v1")
def _steps_delete(owner):
    return _steps_url(owner), None


@owned_route("run survey", "POST", face="v1")
def _run(owner):
    return f"/api/v1/run-survey/{_survey(owner).pk}/", {}


@owned_route("test survey", "POST", face="v1")
def _test(owner):
    return f"/api/v1/test-survey/{_survey(owner).recipients.first().pk}/", {}


@owned_route("survey report", "GET", face="v1")
def _report(owner):
    return f"/api/v1/download/survey/{_survey(owner).pk}/report/?format=json", None


@owned_route("survey report (POST)", "POST", face="v1")
def _report_post(owner):
    return f"/api/v1/download/survey/{_survey(owner).pk}/report/", {}
