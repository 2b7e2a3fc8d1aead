"""Journey (e): an auditor at 1366 px reads the submissions (they fit, long messages shortened),
opens one (a readable title, the sender named plainly), finds its answer in the audit trail by
RequestId, follows it to the filing's trail, exports that trail and verifies the chain."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from filings import audit
from filings.models import AuditChainHead, Filing, Submission
from filings.services import sending
from tests import builders
from tests.e2e.conftest import expect, href, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE, OTHER = builders.VALID_CODES[1], builders.VALID_CODES[2]
LONG_NAME = "火山示例科技有限公司北京朝阳分公司第一营业部（长名称）"
LONG_MESSAGE = "签名校验失败：" + "请求头 X-Date 与服务器时间相差过大，请校准时钟后重试；" * 8
# `2026-11-30 13:48 +08:00`: minutes and the offset, whatever the language around it.
TITLE_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d \+08:00"


def refused_long_ago(filing: Filing, actor: User) -> Submission:
    """An older refusal with a long message (a plain row: this journey reads, it does not send)."""
    started = timezone.now() - timedelta(days=1)
    with transaction.atomic():
        submission = Submission.objects.create(
            filing=filing,
            actor=actor,
            content_hash="0" * 64,
            endpoint="https://cloud-vms.volcengineapi.com/",
            region="cn-beijing",
            request_body="{}",
            request_sha256="0" * 64,
            started_at=started,
            finished_at=started + timedelta(seconds=1),
            duration_ms=1000,
            http_status=401,
            provider_request_id="20261129093000SIGNATUREMISMATCH00000001",
            error_code="SignatureDoesNotMatch",
            error_message=LONG_MESSAGE,
            outcome=Submission.Outcome.REJECTED,
        )
        audit.record(actor=actor, kind="submission.response", target=submission, filing=filing)
    return submission


def test_auditor_reads_submissions_searches_the_trail_exports_a_filing_and_verifies(
    person: Any, preparer: User, reviewer: User, auditor: User, sandbox: str
) -> None:
    builders.company(preparer, name=LONG_NAME, code=CODE)
    filing = builders.approved_filing(preparer, reviewer, code=CODE)
    refused_long_ago(filing, reviewer)
    accepted = sending.filing_send(actor=reviewer, filing=filing)
    assert accepted.outcome == Submission.Outcome.ACCEPTED, accepted.response_body
    other = sending.filing_send(
        actor=reviewer, filing=builders.approved_filing(preparer, reviewer, code=OTHER)
    )
    me = person(auditor)
    page = me.page
    page.set_viewport_size({"width": 1366, "height": 800})

    # --- the submissions fit the screen; the long message is shortened, whole in its tooltip ----
    me.goto("admin:filings_submission_changelist")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    for box in ("document.documentElement", "document.querySelector('#changelist .results')"):
        overflow = page.evaluate(f"{box}.scrollWidth - {box}.clientWidth")
        assert overflow <= 0, f"{box} scrolls sideways by {overflow} px at 1366 px"
    said = page.locator("#result_list td.field-said span[title]")
    expect(said).to_have_count(1)
    assert LONG_MESSAGE.strip() in str(said.get_attribute("title"))
    assert said.inner_text().endswith("…")
    screenshot(page, "e-1-submissions-at-1366")

    # --- a submission's page: a readable title, the sender as a name --------------------------
    page.click("#result_list a" + href("admin:filings_submission_change", accepted.pk, prefix=True))
    expect(page.locator("#content h2").first).to_have_text(
        re.compile(rf"^\D*{accepted.pk} · .+ · {TITLE_TIME}$")
    )
    expect(page.locator(".field-sent_by .readonly")).to_have_text(reviewer.get_username())
    expect(page.locator(".field-sent_by a")).to_have_count(0)
    expect(page.locator(".breadcrumbs")).to_contain_text(f"{accepted.pk} · ")

    # --- the audit trail: found by RequestId, labelled in words --------------------------------
    me.goto("admin:filings_auditevent_changelist")
    page.fill("#searchbar", accepted.provider_request_id)
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    event = rows.locator("td.field-event span")
    expect(event).to_have_attribute("title", "submission.response")
    assert event.inner_text() != "submission.response"
    expect(rows.locator("td.field-time")).to_have_text(re.compile(r"\+08:00$"))

    # --- the filing's trail, by its number in the filter, then exported --------------------------
    page.fill("#filing-filter-number", str(filing.pk))
    page.click("#filing-filter button[type=submit]")
    chosen = page.locator("#changelist-filter li.selected").filter(has_text=f"#{filing.pk} · ")
    expect(chosen).to_have_count(1)
    filings_shown = rows.locator("td.field-filing_trail").all_inner_texts()
    assert set(filings_shown) == {f"#{filing.pk}"}, filings_shown
    screenshot(page, "e-2-filing-trail")
    assert other.filing_id != filing.pk
    with page.expect_download() as info:
        page.click("#export-filing-csv")
    name = info.value.suggested_filename
    assert name.startswith(f"audit-filing-{filing.pk}-"), name
    assert "-verified-seq" in name

    # --- verify the chain: the result and the head hash ------------------------------------------
    page.click("#verify-chain")
    expect(page.locator("#verify-result")).to_have_attribute("data-ok", "true")
    head = AuditChainHead.objects.get(pk=audit.HEAD_PK)
    expect(page.locator("#verify-head-hash")).to_have_text(head.hash)
    expect(page.locator("#verify-head-seq")).to_have_text(str(head.seq))
    screenshot(page, "e-auditor-verifies-the-chain")

    # --- the icon: named by the page, and /favicon.ico answers ---------------------------------
    assert page.locator("link[rel=icon]").count() == 2
    assert page.evaluate("fetch('/favicon.ico').then(r => r.ok && r.redirected)")
