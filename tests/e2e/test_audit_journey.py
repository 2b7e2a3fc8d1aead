"""Journey (c): an auditor finds a submission by credit code, reads the raw response, and
downloads the CSV export of what they found (its file name states the chain's verification)."""

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from filings.audit.exports import column_name, csv_columns
from filings.models import AuditEvent, Submission
from filings.services import sending
from tests import builders
from tests.conftest import SANDBOX_SK
from tests.e2e.conftest import expect, href, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WANTED, OTHER = builders.VALID_CODES[0], builders.VALID_CODES[1]


def sent(preparer: User, reviewer: User, code: str) -> Submission:
    filing = builders.approved_filing(preparer, reviewer, code=code)
    submission = sending.filing_send(actor=reviewer, filing=filing)
    assert submission.outcome == Submission.Outcome.ACCEPTED, submission.response_body
    return submission


def test_auditor_finds_a_submission_reads_the_raw_response_and_exports_csv(
    person: Any, preparer: User, reviewer: User, auditor: User, sandbox: str
) -> None:
    wanted = sent(preparer, reviewer, WANTED)
    other = sent(preparer, reviewer, OTHER)
    me = person(auditor)
    page = me.page

    # --- find it by credit code ---------------------------------------------------------------
    page.locator("#content-main a" + href("admin:filings_submission_changelist")).first.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    page.fill("#searchbar", WANTED)
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(wanted.provider_request_id)
    expect(page.locator("#export-csv")).to_be_visible()

    # --- open it: the raw response, as received ------------------------------------------------
    rows.locator("a" + href("admin:filings_submission_change", wanted.pk, prefix=True)).click()
    raw = page.locator(".field-raw_response pre.raw")
    expect(raw).to_be_visible()
    assert json.loads(raw.inner_text()) == json.loads(wanted.response_body)
    expect(raw).to_contain_text(wanted.provider_request_id)
    expect(page.locator(".field-body_sent pre.raw")).to_contain_text(WANTED)
    assert SANDBOX_SK not in page.content()  # the secret key is never shown
    screenshot(page, "c-1-submission")

    # --- back to the search result; export it ---------------------------------------------------
    page.go_back()
    expect(page.locator("#searchbar")).to_have_value(WANTED)
    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert download.suggested_filename.startswith("submissions-")
    assert "-verified-seq" in download.suggested_filename
    assert download.suggested_filename.endswith(".csv")
    text = download.path().read_bytes().decode("utf-8-sig")
    header, *records = list(csv.reader(io.StringIO(text)))
    column = csv_columns("submissions").index("provider_request_id")
    with translation.override("zh-hans"):  # the header is in the user's language
        assert header[column] == column_name(Submission, "provider_request_id")
    request_ids = [record[column] for record in records]
    assert request_ids == [wanted.provider_request_id]  # the search is the export's filter
    assert other.provider_request_id not in text

    exported = AuditEvent.objects.filter(kind="audit.exported").get()
    assert exported.actor_username == auditor.get_username()
    assert exported.data == {"what": "submissions", "format": "csv", "filters": {"q": WANTED}}
    screenshot(page, "c-auditor-finds-reads-and-exports")
