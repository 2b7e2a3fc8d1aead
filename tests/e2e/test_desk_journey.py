"""The desk in the browser: a reviewer lands on their home page, sees the filing that has waited
on Volcengine past the alert age highlighted, follows it to the company's page, and reads there
where the customer is: the company filing, the blocker (waiting, highlighted), the next step and
who holds it."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filings.models import Filing, Submission
from tests import builders
from tests.e2e.conftest import expect, href, screenshot
from tests.number_builders import received

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HIGHLIGHT = "rgb(253, 236, 234)"  # the desk's aging background (static/filings/portal.css)


def waited(filing: Filing, actor: User, days: int) -> None:
    """Volcengine accepted the filing `days` days ago (a plain row and the filing's stamp: what
    the send recorded)."""
    started = timezone.now() - timedelta(days=days, hours=1)
    Filing.objects.filter(pk=filing.pk).update(state_since=started)
    Submission.objects.create(
        filing=filing,
        actor=actor,
        content_hash="0" * 64,
        endpoint="http://127.0.0.1/sandbox/vms/",
        region="cn-beijing",
        request_body="{}",
        request_sha256="0" * 64,
        started_at=started,
        finished_at=started,
        duration_ms=5,
        http_status=200,
        provider_request_id="REQ-DESK-E2E",
        result_code="0",
        outcome=Submission.Outcome.ACCEPTED,
    )


def test_a_reviewer_sees_a_waiting_filing_highlighted_at_home_and_on_its_company_page(
    person: Any, preparer: User, reviewer: User, reviewer2: User, volc_settings: Any
) -> None:
    volc_settings.PORTAL_WAITING_ALERT_DAYS = 5
    old = received(reviewer2, builders.approved_filing(preparer, reviewer2))
    waited(old, reviewer2, days=8)
    recent = received(
        reviewer2, builders.approved_filing(preparer, reviewer2, code=builders.VALID_CODES[1])
    )
    waited(recent, reviewer2, days=1)
    builders.in_review(preparer, code=builders.VALID_CODES[2])

    checker = person(reviewer)  # signs in and lands on the home page
    page = checker.page

    # --- home: the reviewer's lists, the old one highlighted -------------------------------------
    expect(page.locator("#home-reviewer")).to_be_visible()
    expect(page.locator("#home-preparer, #home-auditor")).to_have_count(0)
    expect(page.locator("#review-queue .desk-count")).to_have_text("1")
    decisions = page.locator("#decisions-to-record")
    expect(decisions.locator(".desk-count")).to_have_text("2")
    expect(decisions.locator(".desk-alerts")).to_be_visible()
    aging = decisions.locator("tr.desk-row.aging")
    expect(aging).to_have_count(1)
    expect(aging.locator(f"a{href('admin:filings_filing_change', old.pk)}")).to_be_visible()
    expect(aging.locator("td").first).to_have_css("background-color", HIGHLIGHT)
    expect(aging.locator(".age")).to_have_attribute("data-days", "8")
    fresh = decisions.locator(
        f"tr.desk-row:not(.aging) a{href('admin:filings_filing_change', recent.pk)}"
    )
    expect(fresh).to_be_visible()
    # The models are still listed under the lists.
    expect(
        page.locator("#content-main a" + href("admin:filings_filing_changelist")).first
    ).to_be_visible()
    screenshot(page, "desk-home-reviewer")

    # --- the company page: where this customer is ------------------------------------------------
    checker.goto("admin:filings_company_change", old.company_id)
    desk = page.locator("#desk")
    expect(desk).to_be_visible()
    expect(desk.locator("#desk-company-filing .status-SUBMITTED")).to_be_visible()
    waiting = desk.locator("#desk-blockers li.blocker-waiting")
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_class("blocker blocker-waiting aging")
    expect(waiting).to_have_css("background-color", HIGHLIGHT)
    expect(waiting.locator(f"a{href('admin:filings_filing_change', old.pk)}")).to_be_visible()
    expect(desk.locator("#desk-next-step .next-step-item.first .holders")).not_to_be_empty()
    expect(page.locator("#company-numbers")).to_be_visible()
    # The desk comes before the company's form.
    desk_box = desk.bounding_box()
    form_box = page.locator("#company_form").bounding_box()
    assert desk_box is not None
    assert form_box is not None
    assert desk_box["y"] < form_box["y"]
    screenshot(page, "desk-company-waiting")

    # --- from the blocker to the filing ----------------------------------------------------------
    waiting.locator("a").click()
    page.wait_for_url(checker.url("admin:filings_filing_change", old.pk))
    expect(page.locator("#workflow .status-SUBMITTED")).to_be_visible()
