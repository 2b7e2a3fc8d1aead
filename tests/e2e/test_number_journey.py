"""Journey (e): a preparer pastes 120 numbers, 3 of them invalid and 2 repeated, reads the
per-line report and files the rest; a reviewer approves and sends each number filing to the
sandbox; the numbers are then pending and the filing page shows Volcengine's RequestId.

The company filing (submitted) and each number filing's letter are made through the services:
this journey is about the numbers."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.models import Filing, PhoneNumber, Submission
from filings.sandbox.models import SandboxRequest
from tests.builders import VALID_CODES
from tests.e2e.conftest import expect, href, screenshot
from tests.number_builders import SCENE, SCRIPT, filed_company, mobiles, upload_letter

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = VALID_CODES[2]
VALID = [
    *mobiles(100, prefix="139"),
    *[f"+86 137-0000-{index:04d}" for index in range(10)],
    *[f"0571-8888{index:04d}" for index in range(5)],
]
INVALID = {5: "12345", 50: "电话号码", 99: "88886666"}  # line → what is written there
REPEATED = {60: "139 0000 0001", 120: "+8613700000003"}  # line → a number written earlier


def pasted_lines() -> list[str]:
    """120 lines: the 115 valid numbers, with the invalid and repeated ones at their lines."""
    valid = iter(VALID)
    extra = {**INVALID, **REPEATED}
    return [extra[line] if line in extra else next(valid) for line in range(1, 121)]


def test_preparer_files_pasted_numbers_and_the_reviewer_sends_them(
    person: Any, preparer: User, reviewer: User, sandbox: str
) -> None:
    company = filed_company(preparer, reviewer, code=CODE)
    me = person(preparer)
    page = me.page

    # --- the company page leads to adding numbers; the paste is answered line by line ----------
    me.goto("admin:filings_company_change", company.pk)
    page.click("#company-numbers a.button" + href("admin:filings_phonenumber_add", prefix=True))
    expect(page.locator("#add-numbers #id_credit_code")).to_have_value(CODE)
    page.fill("#add-numbers #id_numbers", "\n".join(pasted_lines()))
    page.fill("#add-numbers #id_script_scene", SCENE)
    page.fill("#add-numbers #id_script", SCRIPT)
    page.click("#add-numbers [type=submit]")
    report = page.locator("#numbers-report")
    expect(report).to_be_visible()
    expect(report.locator("tr.added")).to_have_count(115)
    refused = report.locator("tr.refused")
    expect(refused).to_have_count(5)
    rows = refused.evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()))"
    )
    assert [(line, written) for line, written, _, _ in rows] == [
        ("5", "12345"),
        ("50", "电话号码"),
        ("60", "139 0000 0001"),
        ("99", "88886666"),
        ("120", "+8613700000003"),
    ]
    assert all(reason for _, _, _, reason in rows), rows  # each refusal says why
    assert PhoneNumber.objects.filter(company=company, state="draft").count() == 115
    screenshot(page, "e-0-numbers-report")

    # --- file the rest: the company's drafts, all selected, "File these numbers: add" ------------
    me.goto("admin:filings_company_change", company.pk)
    page.click("#company-numbers a[href$='state__exact=draft']")
    expect(page.locator("#result_list tbody tr")).to_have_count(100)  # a page of the 115
    page.check("#action-toggle")
    page.click(".actions .question a")  # select all 115, not only this page
    page.select_option("#changelist-form select[name=action]", "file_add")
    page.click("#changelist-form button[name=index]")
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    filings = list(Filing.objects.filter(company=company, kind="number").order_by("pk"))
    assert [f.filing_numbers.count() for f in filings] == [100, 15]
    for filing in filings:
        expect(page.locator("ul.messagelist li.success")).to_contain_text(f"#{filing.pk}")
    assert not PhoneNumber.objects.filter(company=company, open_filing__isnull=True).exists()

    # --- the letter (services), then the preparer submits each filing from its page -------------
    for filing in filings:
        upload_letter(preparer, filing)
        me.goto("admin:filings_filing_change", filing.pk)
        page.click("#workflow button[name=act][value=submit]")
        expect(page.locator("#workflow .status.status-IN_REVIEW")).to_be_visible()

    # --- the reviewer approves each from the review page and sends it once ----------------------
    checker = person(reviewer)
    review_page = checker.page
    for filing in filings:
        checker.goto("admin:filings_filing_review", filing.pk)
        content = json.loads(review_page.inner_text("#review-content"))
        assert len(content["aNumbers"]) == filing.filing_numbers.count()
        review_page.click("#workflow button[name=act][value=approve]")
        expect(review_page.locator("#workflow .status.status-APPROVED")).to_be_visible()

        checker.goto("admin:filings_filing_send", filing.pk)
        body = json.loads(review_page.inner_text("#send-confirmation #request-body"))
        assert (body["action"], body["companyCreditCode"]) == ("add", CODE)
        assert body["aNumbers"].count(",") == filing.filing_numbers.count() - 1
        review_page.click("#confirm-send")
        review_page.wait_for_url(checker.url("admin:filings_filing_change", filing.pk))
        expect(review_page.locator("#workflow .status.status-SUBMITTED")).to_be_visible()
        submission = Submission.objects.get(filing=filing)
        assert submission.outcome == Submission.Outcome.ACCEPTED
        expect(review_page.locator("ul.messagelist li.success")).to_contain_text(
            submission.provider_request_id
        )
    assert SandboxRequest.objects.filter(action="Click2CallNumberAuth").count() == 2
    screenshot(review_page, "e-1-number-filing-sent")

    # --- the numbers are pending; each filing's page keeps the RequestId ------------------------
    me.goto("admin:filings_company_change", company.pk)
    expect(page.locator("#company-numbers a[href$='state__exact=pending']")).to_contain_text(
        ": 115"
    )
    expect(page.locator("#company-numbers a[href$='state__exact=draft']")).to_contain_text(": 0")
    page.click("#company-numbers a[href$='state__exact=pending']")
    expect(page.locator("#result_list tbody tr")).to_have_count(100)
    expect(page.locator("#result_list")).not_to_contain_text("#")  # in no open filing any more
    assert PhoneNumber.objects.filter(company=company, state="pending").count() == 115
    for filing in filings:
        request_id = Submission.objects.get(filing=filing).provider_request_id
        me.goto("admin:filings_filing_change", filing.pk)
        expect(page.locator("#content")).to_contain_text(request_id)
        expect(page.locator("#content li.missing")).to_have_count(0)  # nothing left to do
    screenshot(page, "e-2-numbers-pending")
