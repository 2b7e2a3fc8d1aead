"""The work of an import's tasks: check every row (the preview), import the confirmed rows, and
delete the files of an import nobody confirmed.

Each row is imported in one transaction with every audit event of its changes, through the
services, after being judged again under lock (filings.imports.plans): a row whose company moved
on since the preview is refused, and a row imported before finds nothing to change. Objects
stored for a row whose transaction fails are deleted again.
"""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from filings import errors
from filings.credit_code import normalize_credit_code
from filings.imports import messages
from filings.imports.archive import ArchiveEntry, ArchiveError, DocumentArchive
from filings.imports.files import delete_files
from filings.imports.models import ImportRow, ImportRun
from filings.imports.plans import FileContext, Plan, RowFile, RowValues, row_plan
from filings.imports.sheet import SheetError, SheetRow, read_sheet
from filings.models import Company, Document, Filing
from filings.services import editing
from filings.services.common import Actor, lock_filings
from filings.services.documents import KindUpload, Upload, documents_upload, stored_image
from filings.services.numbers import numbers_add
from filings.storage import objects_removed_on_error, read_object

logger = logging.getLogger(__name__)

State = ImportRun.State
Outcome = ImportRow.Outcome
Verdict = ImportRow.Verdict
# Rows judged (and saved, with the progress) per batch.
BATCH = 20


def _beat(run: ImportRun, **fields: object) -> None:
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now(), **fields)


@contextmanager
def _archive(run: ImportRun) -> Iterator[DocumentArchive | None]:
    if not run.archive_key:
        yield None
        return
    archive = DocumentArchive(
        io.BytesIO(read_object(run.archive_key)), max_entry_bytes=settings.PORTAL_MAX_UPLOAD_BYTES
    )
    try:
        yield archive
    finally:
        archive.close()


# --- The check ------------------------------------------------------------------------------


def run_check(run_id: int) -> str:
    run = ImportRun.objects.get(pk=run_id)
    if run.state != State.CHECKING:
        return run.state
    with translation.override(run.language):
        try:
            rows = read_sheet(read_object(run.sheet_key))
            with _archive(run) as archive:
                _check_rows(run, rows, archive)
        except (SheetError, ArchiveError) as exc:
            _refuse(run, str(exc.reason))
        except FileNotFoundError:
            _refuse(run, str(messages.FILES_GONE))
    return ImportRun.objects.only("state").get(pk=run_id).state


def _refuse(run: ImportRun, message: str) -> None:
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.state != State.CHECKING:
            return
        locked.state = State.REFUSED
        locked.message = message
        locked.finished_at = timezone.now()
        delete_files(locked)
        locked.save(update_fields=["state", "message", "finished_at", "sheet_key", "archive_key"])


def _values(row: SheetRow) -> RowValues:
    return RowValues(
        line=row.line,
        name=row.name,
        credit_code=row.credit_code,
        callee_source=row.callee_source,
        business_carrier=row.business_carrier,
        scripts=row.scripts,
        numbers=row.numbers,
        problems=row.problems,
    )


def _check_rows(
    run: ImportRun, sheet_rows: list[SheetRow], archive: DocumentArchive | None
) -> None:
    rows = [_values(row) for row in sheet_rows]
    context = FileContext.of(rows)
    entries: dict[str, list[ArchiveEntry]] = {}
    for entry in archive.entries if archive else []:
        entries.setdefault(entry.credit_code, []).append(entry)
    codes = {normalize_credit_code(row.credit_code) for row in rows}
    problems = [{"path": p.path, "reason": p.reason} for p in archive.problems] if archive else []
    problems += [
        {"path": entry.path, "reason": str(messages.NO_ROW_FOR_FILE).format(code=code)}
        for code, found in sorted(entries.items())
        if code not in codes
        for entry in found
    ]
    # A check started again (its worker died) begins afresh.
    ImportRow.objects.filter(run=run).delete()
    _beat(run, total=len(rows), checked=0, file_problems=problems)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        ImportRow.objects.bulk_create(
            _checked_row(run, row, archive, entries, context) for row in batch
        )
        _beat(run, checked=start + len(batch))
    ImportRun.objects.filter(pk=run.pk, state=State.CHECKING).update(
        state=State.CHECKED, heartbeat_at=timezone.now()
    )


def _row_file(archive: DocumentArchive, entry: ArchiveEntry) -> RowFile:
    """The entry as storing it would store it (its SHA-256), or why it cannot be."""
    file = RowFile(path=entry.path, kind=entry.kind, part=entry.part)
    try:
        data = archive.read(entry)
        _, info = stored_image(Upload(entry.path, data), entry.path)
    except ArchiveError as exc:
        return RowFile(file.path, file.kind, file.part, problem=f"{entry.path}: {exc.reason}")
    except ValidationError as exc:
        return RowFile(file.path, file.kind, file.part, problem=" ".join(exc.messages))
    return RowFile(file.path, file.kind, file.part, sha256=info.sha256)


def _checked_row(
    run: ImportRun,
    row: RowValues,
    archive: DocumentArchive | None,
    entries: dict[str, list[ArchiveEntry]],
    context: FileContext,
) -> ImportRow:
    found = entries.get(normalize_credit_code(row.credit_code), []) if row.credit_code else []
    files = [_row_file(archive, entry) for entry in found] if archive else []
    plan = row_plan(row, files, context)
    return ImportRow(
        run=run,
        line=row.line,
        name=row.name[:255],
        credit_code=row.credit_code[:64],
        verdict=_verdict(plan),
        values=row.as_json(),
        plan=plan.steps,
        reasons=plan.reasons,
        files=[file.as_json() for file in files],
    )


def _verdict(plan: Plan) -> str:
    if plan.refused:
        return Verdict.REFUSED
    if plan.company is None:
        return Verdict.NEW
    return Verdict.CHANGED if plan.changes else Verdict.UNCHANGED


# --- The import -----------------------------------------------------------------------------


def run_apply(run_id: int) -> str:
    run = ImportRun.objects.select_related("confirmed_by").get(pk=run_id)
    if run.state != State.IMPORTING:
        return run.state
    with translation.override(run.language):
        try:
            with _archive(run) as archive:
                waiting = run.rows.filter(outcome=Outcome.WAITING).order_by("line")
                for row_id in list(waiting.values_list("pk", flat=True)):
                    _apply_row(run, row_id, archive)
                    _beat(run)
        except (ArchiveError, FileNotFoundError) as exc:
            # The stored archive was checked before: it can only be gone or damaged since.
            logger.error("import #%s: its stored archive cannot be read (%s)", run.pk, exc)
            message = str(messages.FILES_GONE)
            run.rows.filter(outcome=Outcome.WAITING).update(
                outcome=Outcome.FAILED, message=message, finished_at=timezone.now()
            )
        _finish_if_complete(run)
    return ImportRun.objects.only("state").get(pk=run_id).state


def _finish_if_complete(run: ImportRun) -> None:
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        open_rows = locked.rows.filter(outcome__in=[Outcome.WAITING, Outcome.WORKING])
        if locked.state != State.IMPORTING or open_rows.exists():
            return
        locked.state = State.DONE
        locked.finished_at = timezone.now()
        delete_files(locked)
        locked.save(update_fields=["state", "finished_at", "sheet_key", "archive_key"])


def _apply_row(run: ImportRun, row_id: int, archive: DocumentArchive | None) -> None:
    try:
        with objects_removed_on_error(), transaction.atomic():
            if not ImportRow.objects.filter(pk=row_id, outcome=Outcome.WAITING).update(
                outcome=Outcome.WORKING
            ):
                return  # another task has it, or had it
            row = ImportRow.objects.get(pk=row_id)
            outcome, message, filing = _import(run, row, archive)
            row.outcome, row.message, row.filing = outcome, message, filing
            row.finished_at = timezone.now()
            row.save(update_fields=["outcome", "message", "filing", "finished_at"])
    except (errors.FilingsError, ValidationError, ArchiveError) as exc:
        if isinstance(exc, ValidationError):
            reason = " ".join(exc.messages)
        elif isinstance(exc, ArchiveError):
            reason = str(exc.reason)
        else:
            reason = str(exc)
        ImportRow.objects.filter(pk=row_id, outcome=Outcome.WAITING).update(
            outcome=Outcome.FAILED,
            message=str(messages.ROW_REFUSED).format(reasons=reason),
            finished_at=timezone.now(),
        )


def _import(
    run: ImportRun, row: ImportRow, archive: DocumentArchive | None
) -> tuple[str, str, Filing | None]:
    """Judge the row again under lock and make its changes; the outcome, its message, its
    filing."""
    values = RowValues.from_json(row.values)
    code = normalize_credit_code(values.credit_code)
    company = Company.objects.filter(credit_code=code).first()
    if company is not None:
        # The lock order of the services: the company's filings, then the company.
        lock_filings(Filing.objects.filter(company=company))
        Company.objects.select_for_update().filter(pk=company.pk).first()
    files = [RowFile(**file) for file in row.files]
    plan = row_plan(values, files, FileContext())
    if plan.refused:
        return (
            Outcome.FAILED,
            str(messages.ROW_REFUSED).format(reasons=" ".join(plan.reasons)),
            None,
        )
    if not plan.changes:
        return Outcome.UNCHANGED, str(messages.ROW_UNCHANGED), plan.filing
    filing = _make_changes(run, plan, values, archive)
    return (
        Outcome.DONE,
        str(messages.ROW_DONE).format(filing=filing.pk, steps="; ".join(plan.steps)),
        filing,
    )


def _make_changes(
    run: ImportRun, plan: Plan, values: RowValues, archive: DocumentArchive | None
) -> Filing:
    actor = run.confirmed_by
    if actor is None:  # pragma: no cover - a run is imported only once confirmed
        raise errors.NotPermitted(str(errors.NOT_PERMITTED))
    company = plan.company
    if company is None:
        company = editing.company_create(
            actor=actor, name=values.name, credit_code=plan.credit_code
        )
    elif plan.rename:
        company = editing.company_update(
            actor=actor, company=company, name=values.name, credit_code=company.credit_code
        )
    filing = plan.filing
    if filing is None:
        filing = editing.filing_create(actor=actor, company=company, **plan.field_changes)
    elif plan.field_changes:
        filing = editing.filing_update(actor=actor, filing=filing, **plan.field_changes)
    if plan.scripts is not None:
        for old in list(filing.scripts.all()):
            editing.script_delete(actor=actor, script=old)
        for scene, content in plan.scripts:
            editing.script_add(actor=actor, filing=filing, scene=scene, content=content)
    if plan.documents:
        _upload(actor, filing, plan.documents, archive)
    if plan.numbers:
        scene, script = values.scripts[0]
        report = numbers_add(
            actor=actor,
            company=company,
            items=list(enumerate(plan.numbers, start=1)),
            script_scene=scene,
            script=script,
        )
        # numbers_add keeps the good numbers and reports the others; a row is imported whole or
        # not at all (a number taken since the judgement under lock undoes the row).
        if report.refused:
            raise errors.FilingsError(
                " ".join(
                    str(messages.NUMBER_REFUSED).format(text=line.raw, reason=line.reason)
                    for line in report.refused
                )
            )
    return filing


def _upload(
    actor: Actor,
    filing: Filing,
    documents: dict[str, list[RowFile]],
    archive: DocumentArchive | None,
) -> None:
    if archive is None:  # pragma: no cover - a row has files only with an archive
        raise errors.FilingsError(str(messages.FILES_GONE))
    by_path = {entry.path: entry for entry in archive.entries}

    def upload(file: RowFile) -> Upload:
        return Upload(file.path.rsplit("/", 1)[-1], archive.read(by_path[file.path]))

    uploads = []
    for kind, files in documents.items():
        parts = {file.part: file for file in files}
        if Document.Part.MAIN in parts:
            uploads.append(KindUpload(kind, upload=upload(parts[Document.Part.MAIN])))
        else:
            uploads.append(
                KindUpload(
                    kind,
                    front=upload(parts[Document.Part.FRONT]),
                    back=upload(parts[Document.Part.BACK]),
                )
            )
    documents_upload(actor=actor, filing=filing, uploads=uploads)


# --- Expiry ---------------------------------------------------------------------------------


def run_expire(run_id: int) -> str:
    """An import still waiting for its confirmation is discarded, with its files."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.state in (State.CHECKING, State.CHECKED):
            hours = settings.PORTAL_IMPORT_KEEP_HOURS
            run.state = State.DISCARDED
            with translation.override(run.language):
                run.message = str(messages.EXPIRED).format(hours=hours)
            run.finished_at = timezone.now()
            delete_files(run)
            run.save(update_fields=["state", "message", "finished_at", "sheet_key", "archive_key"])
        return run.state
