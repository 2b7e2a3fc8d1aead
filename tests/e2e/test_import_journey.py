"""Journey: a preparer imports a small spreadsheet and ZIP of documents from the company list,
watches the check and the import finish without reloading, submits the new drafts for review in
bulk; a reviewer approves them in bulk (four-eyes: someone other than the importer) and sends
them in bulk to the built-in sandbox. One real task worker does all the background work."""

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from filings.bulk.models import BulkRun
from filings.imports.models import ImportRow, ImportRun
from filings.models import Filing, Submission
from filings.sandbox.models import SandboxRequest
from filings.workflow import State
from tests import import_builders as build
from tests.e2e.conftest import Person, expect, href, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000  # the worker process starts, then checks, imports and sends in the background


def import_files(folder: Path) -> tuple[list[str], str, Path, Path]:
    """Three good companies with their documents, and one row whose credit code's check
    character is wrong; written as companies.csv and documents.zip in `folder`."""
    codes = build.credit_codes(500)
    good = [next(codes) for _ in range(3)]
    valid = next(codes)
    bad = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    sheet = build.sheet_csv([build.row(code, n) for n, code in enumerate([*good, bad])])
    files: dict[str, bytes] = {}
    for n, code in enumerate(good):
        files.update(build.document_files(code, n, sides=n == 1))
    sheet_path = folder / "companies.csv"
    sheet_path.write_bytes(sheet)
    zip_path = folder / "documents.zip"
    zip_path.write_bytes(build.archive(files))
    return good, bad, sheet_path, zip_path


def bulk_action(somebody: Person, action: str, filings: list[Filing]) -> BulkRun:
    """From the filing list: tick `filings`, choose `action`, confirm, and watch the run's
    progress page finish with every item done."""
    page = somebody.page
    somebody.goto("admin:filings_filing_changelist")
    for filing in filings:
        page.check(f"#result_list input.action-select[value='{filing.pk}']")
    page.select_option("#changelist-form select[name=action]", action)
    page.click("#changelist-form button[name=index]")
    expect(page.locator("#bulk-filings tbody tr")).to_have_count(len(filings))
    page.click("#bulk-confirm")

    run = BulkRun.objects.filter(actor=somebody.user).latest("pk")
    page.wait_for_url(somebody.url("admin:filings_filing_bulk_progress", run.pk))
    progress = page.locator("#bulk-progress")
    expect(progress).to_have_attribute("data-finished", "true", timeout=WAIT_MS)
    expect(progress.locator("[data-count=done]")).to_have_text(str(len(filings)))
    expect(progress.locator("[data-count=failed]")).to_have_text("0")
    expect(progress.locator("[data-count=remaining]")).to_have_text("0")
    expect(page.locator("#bulk-items tr.item-done")).to_have_count(len(filings))
    run.refresh_from_db()
    assert run.state == BulkRun.State.DONE
    return run


def test_a_preparer_imports_companies_and_they_are_approved_and_sent_in_bulk(
    person: Any, preparer: User, reviewer: User, worker: Any, tmp_path: Path
) -> None:
    good, bad, sheet_path, zip_path = import_files(tmp_path)
    importer = person(preparer)
    page = importer.page

    # --- Companies → "Import from a spreadsheet": the template downloads as an XLSX -------------
    page.click("#content-main a" + href("admin:filings_company_changelist"))
    page.click(".object-tools a" + href("admin:filings_company_import"))
    page.wait_for_url(importer.url("admin:filings_company_import"))
    with page.expect_download() as download_info:
        page.click("#import-template")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    template = tmp_path / download.suggested_filename
    download.save_as(template)
    headers = [cell.value for cell in next(load_workbook(template).active.iter_rows(max_row=1))]
    assert headers[: len(build.HEADERS)] == build.HEADERS

    # --- upload: the run's page says it is checking, until a worker runs --------------------------
    page.set_input_files("#import-form input[name=sheet]", sheet_path)
    page.set_input_files("#import-form input[name=archive]", zip_path)
    page.click("#import-form [type=submit]")
    run = ImportRun.objects.get()
    page.wait_for_url(importer.url("admin:filings_company_import_run", run.pk))
    expect(page.locator("#import-run")).to_have_attribute("data-state", "checking")
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-state.run-checking")).to_be_visible()

    # --- the worker checks; the page shows the preview by itself (imports.js) --------------------
    worker(rate=20)
    expect(page.locator("#import-run")).to_have_attribute("data-state", "checked", timeout=WAIT_MS)
    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#import-rows tr.verdict-new")).to_have_count(3)
    refused = page.locator("#import-rows tr.verdict-refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(bad)
    expect(refused.locator("ul.errorlist li")).to_be_visible()
    expect(refused.locator("ul.errorlist li")).to_contain_text(bad)
    screenshot(page, "import-0-preview")

    # --- confirm (the page asks first); the rows show their results with links to the drafts ----
    page.click("#import-confirm button[type=submit]")
    assert len(importer.dialogs) == 1
    expect(page.locator("#import-run")).to_have_attribute("data-state", "done", timeout=WAIT_MS)
    expect(page.locator("#import-rows tr.outcome-done")).to_have_count(3)
    expect(page.locator("#import-rows tr.outcome-not_imported")).to_have_count(1)
    imported = list(
        run.rows.filter(outcome=ImportRow.Outcome.DONE).order_by("line").select_related("filing")
    )
    assert [row.credit_code for row in imported] == good
    filings = [row.filing for row in imported if row.filing is not None]
    assert [filing.status for filing in filings] == [State.DRAFT] * 3
    for filing in filings:
        link = page.locator(
            "#import-rows td.row-outcome a" + href("admin:filings_filing_change", filing.pk)
        )
        expect(link).to_have_count(1)
    screenshot(page, "import-1-results")

    # --- the importer submits them for review in bulk ---------------------------------------------
    bulk_action(importer, "submit_many", filings)
    assert set(Filing.objects.values_list("status", flat=True)) == {State.IN_REVIEW}
    # Four-eyes: the importer is offered no approval of what it imported.
    importer.goto("admin:filings_filing_changelist")
    actions = page.locator("#changelist-form select[name=action]")
    expect(actions.locator("option[value=submit_many]")).to_have_count(1)
    expect(actions.locator("option[value=approve_many]")).to_have_count(0)

    # --- a second person approves them in bulk and sends them in bulk -----------------------------
    checker = person(reviewer)
    bulk_action(checker, "approve_many", filings)
    assert set(Filing.objects.values_list("status", flat=True)) == {State.APPROVED}
    assert set(Filing.objects.values_list("approved_by", flat=True)) == {reviewer.pk}
    run = bulk_action(checker, "send_many", filings)
    expect(checker.page.locator("#bulk-items .item-filing-status.status-SUBMITTED")).to_have_count(
        3
    )
    screenshot(checker.page, "import-2-bulk-send-finished")

    # Each imported filing was sent exactly once, and accepted once.
    assert sorted(SandboxRequest.objects.values_list("company_credit_code", flat=True)) == sorted(
        good
    )
    assert sorted(Submission.objects.values_list("filing_id", "outcome")) == sorted(
        (filing.pk, Submission.Outcome.ACCEPTED) for filing in filings
    )
    assert set(Filing.objects.values_list("status", flat=True)) == {State.SUBMITTED}
