"""Journey (d): Volcengine declines a sent filing with two reasons; the preparer reworks it by
replacing only the document a reason names and fixing the script the other names; a second
reviewer approves the rework (with a justification, inside the cooldown) and sends it; it is
recorded as filed. Then a number filing of the company is recorded live with one failed number."""

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.models import Decision, Document, Filing, PhoneNumber
from filings.sandbox.models import SandboxRequest
from filings.services import sending
from tests import builders
from tests.e2e.conftest import document_image, expect, screenshot
from tests.number_builders import approve, number_filing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LICENCE = Document.Kind.BUSINESS_LICENSE.value
FIXED_SCRIPT = "您好，这里是火山示例科技有限公司的快递服务，您的包裹已到达。"


def current_documents(filing: Filing) -> dict[str, tuple[int, str]]:
    rows = filing.documents.filter(superseded_at__isnull=True, part=Document.Part.MAIN)
    return {kind: (pk, sha) for pk, kind, sha in rows.values_list("pk", "kind", "sha256")}


def record_decision(page: Any, reviewer: Any, filing: Filing) -> None:
    reviewer.goto("admin:filings_filing_change", filing.pk)
    page.click("#workflow #decision-link")
    page.wait_for_url(reviewer.url("admin:filings_filing_decision", filing.pk))


def test_a_declined_filing_is_reworked_approved_sent_and_filed(
    person: Any,
    preparer: User,
    reviewer: User,
    reviewer2: User,
    sandbox: str,
    tmp_path: Path,
) -> None:
    filing = builders.approved_filing(preparer, reviewer)
    sending.filing_send(actor=reviewer, filing=filing)
    filing.refresh_from_db()
    assert filing.status == Filing.Status.SUBMITTED
    before = current_documents(filing)

    # --- the reviewer records Volcengine's decline with two reasons -------------------------------
    checker = person(reviewer)
    page = checker.page
    record_decision(page, checker, filing)
    page.check("#decision-form input[name=outcome][value=declined]")
    page.check("#decision-form input[name=reasons][value='businessLicense.blurred']")
    page.check("#decision-form input[name=reasons][value='scripts.mismatch']")
    page.fill("#decision-form textarea[name=details]", "执照反光；话术与经营范围不符")
    page.fill("#decision-form textarea[name=evidence]", "火山引擎工单 9001 的答复")
    page.click("#decision-form input[type=submit]")
    page.wait_for_url(checker.url("admin:filings_filing_change", filing.pk))
    expect(page.locator("#workflow .status.status-DECLINED")).to_be_visible()
    expect(page.locator("#decision .decision-reasons li")).to_have_count(2)

    # --- the preparer reworks it: the reasons sit where they apply --------------------------------
    author = person(preparer)
    apage = author.page
    author.goto("admin:filings_filing_change", filing.pk)
    apage.click("#workflow button[name=act][value=rework]")
    expect(apage.locator("#workflow .status.status-DRAFT")).to_be_visible()
    expect(apage.locator("#attempt")).to_be_visible()
    expect(apage.locator("#open-reasons")).to_be_visible()
    expect(apage.locator(".decline-reason").first).to_be_visible()
    # the script the reason names
    apage.fill("#id_scripts-0-content", FIXED_SCRIPT)
    apage.click("input[name=_continue]")
    expect(apage.locator("ul.messagelist li.success")).to_be_visible()
    # the one document the reason names, on the documents page
    apage.click("#documents-link")
    licence_slot = apage.locator(f"#slot-{LICENCE}")
    expect(licence_slot.locator(".slot-reasons")).to_be_visible()
    expect(apage.locator(".slot-reasons")).to_have_count(1)
    new_licence = document_image(tmp_path, "licence.jpg", label="licence, photographed again")
    licence_slot.locator("input[name=image]").set_input_files(new_licence)
    with apage.expect_navigation():
        licence_slot.locator("form.upload-form button[type=submit]").click()
    expect(licence_slot.locator(".current img.doc-preview")).to_be_visible()
    after = current_documents(filing)
    assert after[LICENCE] != before[LICENCE]
    assert {k: v for k, v in after.items() if k != LICENCE} == {
        k: v for k, v in before.items() if k != LICENCE
    }
    author.goto("admin:filings_filing_change", filing.pk)
    apage.click("#workflow button[name=act][value=submit]")
    expect(apage.locator("#workflow .status.status-IN_REVIEW")).to_be_visible()
    screenshot(apage, "d-0-rework-submitted")

    # --- a second reviewer approves (inside the cooldown: with a justification) and sends -------
    second = person(reviewer2)
    spage = second.page
    second.goto("admin:filings_filing_review", filing.pk)
    expect(spage.locator("#attempts")).to_contain_text("执照反光")
    spage.fill("#workflow textarea[name=justification]", "执照已重拍，话术已按经营范围改写")
    spage.click("#workflow button[name=act][value=approve]")
    expect(spage.locator("#workflow .status.status-APPROVED")).to_be_visible()
    second.goto("admin:filings_filing_send", filing.pk)
    spage.click("#confirm-send")
    expect(spage.locator("#workflow .status.status-SUBMITTED")).to_be_visible()
    assert SandboxRequest.objects.count() == 2  # the first attempt and the rework, once each

    # --- recorded as filed --------------------------------------------------------------------
    record_decision(spage, second, filing)
    spage.check("#decision-form input[name=outcome][value=filed]")
    spage.fill("#decision-form textarea[name=evidence]", "火山引擎控制台：已报备")
    spage.click("#decision-form input[type=submit]")
    expect(spage.locator("#workflow .status.status-FILED")).to_be_visible()
    filing.refresh_from_db()
    assert (filing.status, filing.attempt) == (Filing.Status.FILED, 2)
    assert list(filing.decisions.order_by("attempt").values_list("attempt", "outcome")) == [
        (1, Decision.Outcome.DECLINED),
        (2, Decision.Outcome.FILED),
    ]
    screenshot(spage, "d-1-filed-after-rework")

    # --- a number filing of the company is recorded live with one failed number ---------------
    digits = ["13800000001", "13800000002", "13800000003"]
    numbers = approve(preparer, reviewer, number_filing(preparer, filing.company, digits))
    sending.filing_send(actor=reviewer, filing=numbers)
    record_decision(page, checker, numbers)
    page.check("#decision-form input[name=outcome][value=filed]")
    page.fill("#decision-form textarea[name=evidence]", "运营回复：1 个号码未通过")
    page.fill("#decision-form textarea[name=failed_numbers]", "+86 138 0000 0003 号码未实名")
    page.click("#decision-form input[type=submit]")
    expect(page.locator("#workflow .status.status-FILED")).to_be_visible()
    assert dict(PhoneNumber.objects.values_list("digits", "state")) == {
        "13800000001": "live",
        "13800000002": "live",
        "13800000003": "failed",
    }
    screenshot(page, "d-2-numbers-live-one-failed")
