"""Journey (b): a reviewer (not the preparer) inspects a filing, requests changes; the preparer
reads the comment, fixes and resubmits; the reviewer approves and sends it once, through the
confirmation page, to the built-in sandbox. Documents live in a (moto) S3 bucket."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.models import CallScript, Filing, Submission
from filings.sandbox.models import SandboxRequest
from filings.selectors import filing_timeline
from filings.services import review
from tests import builders
from tests.e2e.conftest import expect, href, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = builders.VALID_CODES[2]
COMMENT = "第二条话术请写明公司名称。"
FIXED_SCRIPT = "您好，这里是火山示例科技有限公司售后，想了解一下您的使用情况。"


def open_from_queue(reviewer: Any, filing: Filing) -> None:
    page = reviewer.page
    page.click("#user-tools a" + href("admin:filings_filing_review_queue"))
    page.click("#review-queue a.button" + href("admin:filings_filing_review", filing.pk))
    page.wait_for_url(reviewer.url("admin:filings_filing_review", filing.pk))


def test_reviewer_requests_changes_then_approves_and_sends_to_the_sandbox(
    person: Any,
    preparer: User,
    reviewer: User,
    s3_storage: Any,
    sandbox: str,
) -> None:
    filing = builders.complete_filing(preparer, code=CODE)
    review.filing_submit(actor=preparer, filing=filing)
    checker = person(reviewer)
    page = checker.page

    # --- the queue and the review page: every document shown large --------------------------------
    open_from_queue(checker, filing)
    images = page.locator("#review-page .review-docs img")
    expect(images).to_have_count(6)
    page.wait_for_function(
        "[...document.querySelectorAll('#review-page .review-docs img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    widths = images.evaluate_all("imgs => imgs.map(img => img.getBoundingClientRect().width)")
    assert min(widths) >= 400, f"review images are not shown large: {widths}"
    assert json.loads(page.inner_text("#review-content"))["companyCreditCode"] == CODE
    expect(page.locator("#workflow button[name=act][value=approve]")).to_be_visible()
    screenshot(page, "b-0-review-page")

    # --- request changes with a comment ----------------------------------------------------------
    page.fill("#review-page form.move-request-changes textarea[name=comment]", COMMENT)
    page.click("#workflow button[name=act][value=request_changes]")
    page.wait_for_url(checker.url("admin:filings_filing_change", filing.pk))
    expect(page.locator("#workflow .status.status-DRAFT")).to_be_visible()
    filing.refresh_from_db()
    assert (filing.status, filing.review_comment) == (Filing.Status.DRAFT, COMMENT)

    # --- the preparer reads the comment, fixes the script, resubmits ------------------------------
    author = person(preparer)
    author.page.click("#content-main a" + href("admin:filings_filing_changelist"))
    author.page.click("#result_list a" + href("admin:filings_filing_change", filing.pk))
    expect(author.page.locator("#workflow .review-comment")).to_contain_text(COMMENT)
    author.page.fill("#id_scripts-1-content", FIXED_SCRIPT)
    author.page.click("input[name=_continue]")
    expect(author.page.locator("ul.messagelist li.success")).to_be_visible()
    author.page.click("#workflow button[name=act][value=submit]")
    expect(author.page.locator("#workflow .status.status-IN_REVIEW")).to_be_visible()
    assert CallScript.objects.get(filing=filing, position=2).content == FIXED_SCRIPT

    # --- the reviewer approves -------------------------------------------------------------------
    open_from_queue(checker, filing)
    expect(page.locator("#review-content")).to_contain_text(FIXED_SCRIPT)
    page.click("#workflow button[name=act][value=approve]")
    expect(page.locator("#workflow .status.status-APPROVED")).to_be_visible()
    filing.refresh_from_db()
    assert (filing.status, filing.approved_by) == (Filing.Status.APPROVED, reviewer)

    # --- send: the admin action opens the confirmation page; nothing is sent before confirming --
    page.click("#content-main a" + href("admin:filings_filing_changelist"))
    page.check(f"#result_list input.action-select[value='{filing.pk}']")
    page.select_option("#changelist-form select[name=action]", "send_to_volcengine")
    page.click("#changelist-form button[name=index]")
    page.wait_for_url(checker.url("admin:filings_filing_send", filing.pk))
    body = json.loads(page.inner_text("#send-confirmation #request-body"))
    assert body["companyCreditCode"] == CODE
    picture_urls = [value for key, value in body.items() if key.endswith("PicUrl")]
    assert len(picture_urls) == 6
    bucket_url = f"{s3_storage.meta.endpoint_url}/"
    assert all(url.startswith(bucket_url) and "Signature=" in url for url in picture_urls), (
        picture_urls  # presigned URLs of the private bucket
    )
    assert not Submission.objects.exists()
    assert not SandboxRequest.objects.exists()
    screenshot(page, "b-1-send-confirmation")
    # The same confirmation page open in a second tab: confirming it later must not send again.
    stale = checker.context.new_page()
    stale.goto(checker.url("admin:filings_filing_send", filing.pk))

    page.click("#confirm-send")
    page.wait_for_url(checker.url("admin:filings_filing_change", filing.pk))
    expect(page.locator("#workflow .status.status-SUBMITTED")).to_be_visible()
    submission = Submission.objects.get(filing=filing)
    assert submission.outcome == Submission.Outcome.ACCEPTED
    assert submission.provider_request_id
    expect(page.locator("ul.messagelist li.success")).to_contain_text(
        submission.provider_request_id
    )
    expect(page.locator("#send-link")).to_have_count(0)
    filing.refresh_from_db()
    assert filing.status == Filing.Status.SUBMITTED
    assert SandboxRequest.objects.count() == 1  # exactly one request reached the provider
    kinds = list(filing_timeline(filing).values_list("kind", flat=True))
    assert kinds[-4:] == [
        "filing.submitted",
        "filing.approved",
        "submission.sent",
        "submission.response",
    ]

    # --- the stale tab's confirm is refused: still one submission, one request ------------------
    stale.click("#confirm-send")
    stale.wait_for_url(checker.url("admin:filings_filing_change", filing.pk))
    expect(stale.locator("ul.messagelist li.error")).to_be_visible()
    assert Submission.objects.filter(filing=filing).count() == 1
    assert SandboxRequest.objects.count() == 1
    stale.close()
    screenshot(page, "b-reviewer-requests-changes-approves-and-sends")
