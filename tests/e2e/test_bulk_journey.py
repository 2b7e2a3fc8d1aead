"""Journey: a reviewer ticks several approved filings in the list, chooses "Send many to
Volcengine", confirms, and watches the run's progress page fill in, without a reload, while a
real task worker sends each filing once to the built-in sandbox."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.bulk.models import BulkRun
from filings.models import Submission
from filings.sandbox.models import SandboxRequest
from tests.e2e.conftest import expect, href, screenshot
from tests.integration.test_bulk import approved_filings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000  # the worker process starts, then sends one filing every half second


def test_a_reviewer_sends_many_and_watches_the_progress_page_finish(
    person: Any, preparer: User, reviewer: User, worker: Any
) -> None:
    filings = approved_filings(preparer, reviewer, 3)
    checker = person(reviewer)
    page = checker.page

    # --- the list: tick the approved filings, choose "send many" ----------------------------------
    page.click("#content-main a" + href("admin:filings_filing_changelist"))
    for filing in filings:
        page.check(f"#result_list input.action-select[value='{filing.pk}']")
    page.select_option("#changelist-form select[name=action]", "send_many")
    page.click("#changelist-form button[name=index]")

    # --- the confirmation page names them; nothing is sent before confirming ----------------------
    expect(page.locator("#bulk-filings tbody tr")).to_have_count(3)
    for filing in filings:
        expect(page.locator("#bulk-filings")).to_contain_text(filing.company.credit_code)
    assert not BulkRun.objects.exists()
    screenshot(page, "bulk-0-confirm-send-many")
    page.click("#bulk-confirm")

    # --- the progress page: all waiting, until a worker runs ------------------------------------
    run = BulkRun.objects.get()
    page.wait_for_url(checker.url("admin:filings_filing_bulk_progress", run.pk))
    progress = page.locator("#bulk-progress")
    expect(progress.locator("[data-count=remaining]")).to_have_text("3")
    expect(page.locator("#bulk-cancel-button")).to_be_visible()
    page.evaluate("window.bulkJourneyMarker = 'never reloaded'")

    worker()
    expect(progress).to_have_attribute("data-finished", "true", timeout=WAIT_MS)

    # --- finished, on the same page: counts, each row's result, no cancel button -----------------
    assert page.evaluate("window.bulkJourneyMarker") == "never reloaded"
    expect(progress.locator("[data-count=done]")).to_have_text("3")
    expect(progress.locator("[data-count=remaining]")).to_have_text("0")
    expect(page.locator("#bulk-bar")).to_have_js_property("value", 3)
    expect(page.locator("#bulk-items tr.item-done")).to_have_count(3)
    expect(page.locator("#bulk-items .item-filing-status.status-SUBMITTED")).to_have_count(3)
    expect(page.locator("#bulk-cancel")).to_be_hidden()
    for submission in Submission.objects.all():
        expect(page.locator("#bulk-items")).to_contain_text(submission.provider_request_id)
    screenshot(page, "bulk-1-send-many-finished")

    # Exactly one request and one accepted Submission per filing.
    assert sorted(SandboxRequest.objects.values_list("company_credit_code", flat=True)) == sorted(
        filing.company.credit_code for filing in filings
    )
    assert sorted(Submission.objects.values_list("filing_id", "outcome")) == [
        (filing.pk, Submission.Outcome.ACCEPTED) for filing in filings
    ]
    run.refresh_from_db()
    assert run.state == BulkRun.State.DONE
