"""Services of imports: upload (stored, then checked by a task), confirm, discard, resume.

The rows themselves are judged and imported by background tasks (filings.imports.processing)
through the filing services, which record the audit events of every change.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from filings import audit, errors
from filings.filenames import clean_filename
from filings.imports import messages
from filings.imports.files import delete_files, new_folder, store
from filings.imports.models import ImportRow, ImportRun
from filings.imports.selectors import IMPORT_PERMISSIONS, is_stalled
from filings.imports.sheet import MAX_FILE_BYTES as MAX_SHEET_BYTES
from filings.imports.tasks import enqueue_apply, enqueue_check, enqueue_expiry
from filings.services.common import Actor, require_perm, user_id
from filings.services.documents import Upload
from filings.storage import objects_removed_on_error

State = ImportRun.State


def _require_import(actor: Actor) -> None:
    for permission in IMPORT_PERMISSIONS:
        require_perm(actor, permission)


def import_start(
    *, actor: Actor, sheet: Upload | None, archive: Upload | None, language: str
) -> ImportRun:
    """Store the spreadsheet (and the ZIP of documents) and queue their check. Nothing else is
    written before the uploader confirms the checked rows."""
    _require_import(actor)
    if sheet is None or not sheet.data:
        raise errors.FilingsError(str(messages.NO_SHEET))
    if (sheet.size or len(sheet.data)) > MAX_SHEET_BYTES:
        raise errors.FilingsError(str(messages.SHEET_TOO_BIG).format(limit=MAX_SHEET_BYTES >> 20))
    limit = settings.PORTAL_IMPORT_MAX_ARCHIVE_BYTES
    if archive is not None and (archive.size or len(archive.data)) > limit:
        raise errors.FilingsError(str(messages.ARCHIVE_TOO_BIG).format(limit=limit >> 20))
    folder = new_folder()
    with objects_removed_on_error() as keys, transaction.atomic():
        run = ImportRun(
            actor_id=user_id(actor),
            language=language,
            sheet_name=clean_filename(sheet.name),
            sheet_sha256=hashlib.sha256(sheet.data).hexdigest(),
            sheet_key=store(keys, folder, "sheet", sheet.data),
        )
        if archive is not None and archive.data:
            run.archive_name = clean_filename(archive.name)
            run.archive_sha256 = hashlib.sha256(archive.data).hexdigest()
            run.archive_key = store(keys, folder, "documents.zip", archive.data)
        run.heartbeat_at = run.created_at
        run.save()
        audit.record(
            actor=actor,
            kind="import.uploaded",
            target=run,
            data={
                "sheet": run.sheet_name,
                "sheet_sha256": run.sheet_sha256,
                "archive": run.archive_name,
                "archive_sha256": run.archive_sha256,
            },
        )
        enqueue_check(run.pk)
        keep = timedelta(hours=settings.PORTAL_IMPORT_KEEP_HOURS)
        enqueue_expiry(run.pk, run.created_at + keep)
    return run


def _locked_run(run: ImportRun) -> ImportRun:
    return ImportRun.objects.select_for_update().get(pk=run.pk)


@transaction.atomic
def import_confirm(*, actor: Actor, run: ImportRun) -> int:
    """Import the rows the check found good (new or changed); returns how many will be."""
    _require_import(actor)
    run = _locked_run(run)
    if run.state != State.CHECKED:
        raise errors.FilingsError(str(messages.NOT_CHECKED).format(state=run.get_state_display()))
    Verdict = ImportRow.Verdict
    good = run.rows.filter(verdict__in=[Verdict.NEW, Verdict.CHANGED])
    count = good.count()
    if not count:
        raise errors.FilingsError(str(messages.NOTHING_TO_IMPORT))
    run.rows.exclude(verdict__in=[Verdict.NEW, Verdict.CHANGED]).update(
        outcome=ImportRow.Outcome.NOT_IMPORTED
    )
    now = timezone.now()
    run.state = State.IMPORTING
    run.confirmed_by_id = user_id(actor)
    run.confirmed_at = now
    run.heartbeat_at = now
    run.save(update_fields=["state", "confirmed_by", "confirmed_at", "heartbeat_at"])
    audit.record(
        actor=actor,
        kind="import.confirmed",
        target=run,
        data={"rows": list(good.order_by("line").values_list("line", flat=True))},
    )
    enqueue_apply(run.pk)
    return count


@transaction.atomic
def import_discard(*, actor: Actor, run: ImportRun) -> None:
    """Drop an import that was not confirmed, with its uploaded files."""
    _require_import(actor)
    run = _locked_run(run)
    if run.state not in (State.CHECKING, State.CHECKED, State.REFUSED):
        raise errors.FilingsError(
            str(messages.NOT_DISCARDABLE).format(state=run.get_state_display())
        )
    run.state = State.DISCARDED
    run.finished_at = timezone.now()
    delete_files(run)
    run.save(update_fields=["state", "finished_at", "sheet_key", "archive_key"])
    audit.record(actor=actor, kind="import.discarded", target=run, data={})


@transaction.atomic
def import_resume(*, actor: Actor, run: ImportRun) -> bool:
    """Queue again the task of a check or an import whose worker stopped; whether it was."""
    _require_import(actor)
    run = _locked_run(run)
    if not is_stalled(run):
        return False
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["heartbeat_at"])
    if run.state == State.CHECKING:
        enqueue_check(run.pk)
    else:
        enqueue_apply(run.pk)
    audit.record(actor=actor, kind="import.resumed", target=run, data={"state": run.state})
    return True
