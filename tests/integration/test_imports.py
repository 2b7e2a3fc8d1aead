"""The spreadsheet import through its services and tasks: check, preview, confirm, import,
and a second import of the same files that changes nothing."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.imports.models import ImportRow, ImportRun
from filings.imports.services import import_confirm, import_start
from filings.models import AuditEvent, Company, Document, Filing, PhoneNumber
from filings.services.documents import Upload
from filings.workflow import State
from tests import import_builders as build
from tests.integration.test_bulk import work as work_tasks

pytestmark = pytest.mark.django_db

Verdict = ImportRow.Verdict
IMPORT_TASKS = "filings.imports.tasks."
Outcome = ImportRow.Outcome


def work() -> int:
    return work_tasks(tasks=IMPORT_TASKS)


def upload(actor: User, sheet: bytes, zip_bytes: bytes | None) -> ImportRun:
    run = import_start(
        actor=actor,
        sheet=Upload("companies.csv", sheet),
        archive=Upload("documents.zip", zip_bytes) if zip_bytes is not None else None,
        language="en",
    )
    work()
    run.refresh_from_db()
    return run


def verdicts(run: ImportRun) -> dict[str, str]:
    return dict(run.rows.values_list("credit_code", "verdict"))


def confirm(actor: User, run: ImportRun) -> ImportRun:
    import_confirm(actor=actor, run=run)
    work()
    run.refresh_from_db()
    return run


def test_two_companies_are_imported_and_a_second_import_changes_nothing(
    preparer: User, isolated_storage: Any
) -> None:
    codes = [next(build.credit_codes(10)), next(build.credit_codes(20))]
    sheet = build.sheet_csv(
        [
            build.row(codes[0], 0, numbers="13800138000\n0571-88886666"),
            build.row(codes[1], 1),
        ]
    )
    files = {**build.document_files(codes[0]), **build.document_files(codes[1], 1, sides=True)}
    zip_bytes = build.archive(files)

    run = upload(preparer, sheet, zip_bytes)
    assert run.state == ImportRun.State.CHECKED, run.message
    assert verdicts(run) == {codes[0]: Verdict.NEW, codes[1]: Verdict.NEW}
    assert Company.objects.count() == 0  # nothing before the confirmation

    run = confirm(preparer, run)
    assert run.state == ImportRun.State.DONE
    assert dict(run.rows.values_list("credit_code", "outcome")) == {
        codes[0]: Outcome.DONE,
        codes[1]: Outcome.DONE,
    }
    for code in codes:
        filing = Filing.objects.get(company__credit_code=code)
        assert filing.status == State.DRAFT
        assert list(filing.scripts.values_list("scene", flat=True)) == ["快递", "售后"]
    sided = Filing.objects.get(company__credit_code=codes[1])
    assert Document.objects.filter(filing=sided, part=Document.Part.FRONT).count() == 2
    assert set(PhoneNumber.objects.values_list("digits", flat=True)) == {
        "13800138000",
        "057188886666",
    }
    assert run.sheet_key == run.archive_key == ""  # the uploads are gone

    events = AuditEvent.objects.count()
    documents = Document.objects.count()
    again = upload(preparer, sheet, zip_bytes)
    assert verdicts(again) == {codes[0]: Verdict.UNCHANGED, codes[1]: Verdict.UNCHANGED}
    import_events = AuditEvent.objects.count() - events
    assert import_events == 1  # the upload's own event, nothing else
    assert Document.objects.count() == documents
