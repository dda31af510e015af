"""A deferred recipient import is committed work: when its task never reaches a worker
(the broker was down as the upload committed, or lost the task) the create still
answers 201, and the runs sweep publishes the stalled import again, which then
finishes. Real PostgreSQL, real broker, real worker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from campaigns.services.sweep import runs_sweep
from tests.support.broker import broker_down
from tests.support.campaign_helpers import upload, xlsx_bytes
from tests.support.envelope import assert_envelope
from tests.support.workers import running_worker, wait_until
from tingting.celery import app

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 120
WORKER_ENV = {"IMPORT_SYNC_ROWS": "50", "IMPORT_BATCH_ROWS": "40"}


def create_large(auth_client) -> int:
    sheet = xlsx_bytes([["number", "name"]] + [[f"98410{i:05d}", f"n{i}"] for i in range(ROWS)])
    response = auth_client.post(
        "/api/system/campaigns",
        {"name": "Big", "services": "SMS", "send_to_number_file": upload("big.xlsx", sheet)},
        format="multipart",
    )
    body = assert_envelope(response, status=201, message="Campaign Created Successfully")
    assert body["data"]["import"]["state"] == "pending"
    return body["data"]["details"][0]["id"]


def stall(campaign_id: int) -> None:
    """As it looks IMPORT_STALE_SECONDS later."""
    Campaign.objects.filter(pk=campaign_id).update(updated_at=timezone.now() - timedelta(hours=1))


def sweep_finishes_it(campaign_id: int) -> None:
    with running_worker(env=WORKER_ENV):
        assert runs_sweep()["imports"] == 1
        assert runs_sweep()["imports"] == 0  # published once, not every sweep
        wait_until(
            lambda: Campaign.objects.get(pk=campaign_id).import_state == Campaign.ImportState.DONE,
            timeout=60,
            message="the import to finish",
        )
    assert Recipient.objects.filter(campaign_id=campaign_id).count() == ROWS


def test_an_upload_while_the_broker_is_down_answers_201_and_the_sweep_imports_it(auth_client, settings, purge_broker):
    settings.IMPORT_SYNC_ROWS = 50
    with broker_down():
        campaign_id = create_large(auth_client)  # the after-commit publish failed: logged, not a 500
    stall(campaign_id)
    sweep_finishes_it(campaign_id)


def test_a_lost_import_task_is_published_again_by_the_sweep(auth_client, settings, purge_broker):
    settings.IMPORT_SYNC_ROWS = 50
    campaign_id = create_large(auth_client)
    app.control.purge()  # the broker lost the task before any worker took it
    stall(campaign_id)
    sweep_finishes_it(campaign_id)
