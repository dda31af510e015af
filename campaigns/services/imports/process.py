"""The worker's side of a deferred recipient import: resumable, one commit per batch."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from campaigns.models import Campaign
from campaigns.services.imports.file import ImportReport, import_file
from campaigns.services.imports.header import Header
from campaigns.services.imports.rows import RecipientWriter
from tingting.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError
from tingting.spreadsheets import check_upload, file_error


class ImportSupersededError(Exception):
    """Another run of the same import committed further than this one."""


def campaign_import_process(*, campaign_id: int) -> str:
    """Import a pending campaign file (task entry point). Each batch commits with its
    progress under a lock on the campaign row; a repeat or a concurrent run resumes from
    the committed progress, or stops when another run got further. Returns the final
    state; safe to repeat."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.import_state not in (Campaign.ImportState.PENDING, Campaign.ImportState.RUNNING):
        return campaign.import_state if campaign else "missing"
    Campaign.objects.filter(pk=campaign_id, import_state=Campaign.ImportState.PENDING).update(
        import_state=Campaign.ImportState.RUNNING,
        import_report={**campaign.import_report, "state": Campaign.ImportState.RUNNING},
    )
    campaign.refresh_from_db()
    resume = campaign.import_report if campaign.import_report.get("rows_done") else None
    expected = campaign.import_report.get("rows_expected")
    progress = {"rows_done": resume["rows_done"] if resume else 0}
    # A file added to a campaign with recipients (v1 bulk file): its tags join the ones there.
    tags_before = list(campaign.usable_tags or [])

    def commit_batch(writer: RecipientWriter, report: ImportReport, rows_done: int, header: Header) -> None:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if (
                locked is None
                or locked.import_state != Campaign.ImportState.RUNNING
                or locked.import_report.get("rows_done", 0) != progress["rows_done"]
            ):
                raise ImportSupersededError()
            report.added += writer.flush()
            locked.import_report = report.as_dict(
                Campaign.ImportState.RUNNING, rows_done=rows_done, rows_expected=expected
            )
            locked.usable_tags = list(dict.fromkeys([*tags_before, *header.usable_tags]))
            locked.save(update_fields=["import_report", "usable_tags", "updated_at"])
        progress["rows_done"] = rows_done

    try:
        path = Path(campaign.import_file.path) if campaign.import_file else None
        if path is None or not path.exists():
            raise file_error("The uploaded file is gone.", "file_missing")
        checked = check_upload(path)
        # skip_existing: numbers the campaign has already are duplicates (an empty campaign: none).
        _, report = import_file(
            campaign=campaign, path=path, checked=checked, resume=resume, on_batch=commit_batch, skip_existing=True
        )
    except ImportSupersededError:
        return "superseded" if Campaign.objects.filter(pk=campaign_id).exists() else "missing"
    except (InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError) as exc:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if locked is None:  # deleted meanwhile
                return "missing"
            locked.import_state = Campaign.ImportState.FAILED
            locked.import_report = {**locked.import_report, "state": Campaign.ImportState.FAILED, "error": exc.message}
            locked.save(update_fields=["import_state", "import_report", "updated_at"])
        _discard_file(campaign_id)
        return Campaign.ImportState.FAILED
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if locked is None:
            return "missing"
        if locked.import_state == Campaign.ImportState.RUNNING:
            locked.import_state = Campaign.ImportState.DONE
            locked.import_report = report.as_dict(
                Campaign.ImportState.DONE, rows_done=progress["rows_done"], rows_expected=expected
            )
            locked.save(update_fields=["import_state", "import_report", "updated_at"])
    _discard_file(campaign_id)
    return Campaign.ImportState.DONE


def _discard_file(campaign_id: int) -> None:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None and campaign.import_file:
        campaign.import_file.delete(save=False)
        Campaign.objects.filter(pk=campaign_id).update(import_file="")
