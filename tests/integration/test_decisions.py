"""Volcengine's decision on a submitted filing, the rework after a decline, and the cooldown."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from filings import errors
from filings.models import Decision, DecisionReason, Filing, PhoneNumber
from filings.preflight import content_checks, failed
from filings.services import editing, review
from filings.services.decisions import filing_record_decision, open_reasons
from tests.audit_rows import events_after, head, row
from tests.builders import approved_filing, fresh
from tests.number_builders import (
    EVIDENCE,
    add_numbers,
    approve,
    file_numbers,
    filed_company,
    number_filing,
    received,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

BLURRED = ("businessLicense.blurred", "右下角反光")
SCRIPTS = ("scripts.mismatch", "")


@pytest.fixture
def submitted(preparer: User, reviewer: User) -> Filing:
    return received(reviewer, approved_filing(preparer, reviewer))


def decide(reviewer: User, filing: Filing, outcome: str, **kwargs: Any) -> Decision:
    kwargs.setdefault("decided_on", timezone.localdate())
    kwargs.setdefault("evidence", "工单 4711：已通过")
    return filing_record_decision(actor=reviewer, filing=filing, outcome=outcome, **kwargs)


def test_filed_is_recorded_with_its_date_evidence_and_exact_event(
    reviewer: User, submitted: Filing
) -> None:
    start = head()
    decided_on = timezone.localdate() - timedelta(days=2)

    decision = decide(reviewer, submitted, "filed", decided_on=decided_on, evidence="  工单 1 ")

    assert fresh(submitted).status == Filing.Status.FILED
    assert (decision.outcome, decision.attempt, decision.evidence) == ("filed", 1, "工单 1")
    assert events_after(start) == [
        row(
            "filing.decided",
            reviewer,
            "decision",
            decision.pk,
            filing=submitted,
            data={
                "outcome": "filed",
                "attempt": 1,
                "decided_on": decided_on.isoformat(),
                "evidence": "工单 1",
                "reasons": [],
                "failed_numbers": {},
                "numbers": {},
            },
        )
    ]


def test_a_decline_keeps_each_reason_with_the_document_or_field_it_names(
    reviewer: User, submitted: Filing
) -> None:
    decision = decide(reviewer, submitted, "declined", reasons=[BLURRED, SCRIPTS])

    assert fresh(submitted).status == Filing.Status.DECLINED
    assert list(decision.reasons.values_list("code", "target", "text")) == [
        ("businessLicense.blurred", "businessLicense", "右下角反光"),
        ("scripts.mismatch", "scripts", ""),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "declined"}, errors.DECLINE_NEEDS_REASON),
        (
            {"outcome": "declined", "reasons": [("numbers.not_owned", "")]},
            str(errors.UNKNOWN_REASON).format(code="numbers.not_owned"),
        ),
        ({"outcome": "declined", "reasons": [("other", " ")]}, errors.OTHER_REASON_NEEDS_TEXT),
        ({"outcome": "filed", "evidence": "  "}, errors.NOTE_REQUIRED),
        (
            {"outcome": "filed", "decided_on": date(2099, 1, 1)},
            str(errors.DECISION_IN_FUTURE).format(date="2099-01-01"),
        ),
        (
            {"outcome": "maybe"},
            str(errors.UNKNOWN_DECISION).format(outcome="maybe"),
        ),
        (
            {"outcome": "filed", "failed_numbers": {"13800000001": "x"}},
            errors.NUMBER_EXCEPTIONS_ONLY_WHEN_FILED,
        ),
    ],
)
def test_a_decision_that_does_not_hold_together_is_refused_and_changes_nothing(
    reviewer: User, submitted: Filing, kwargs: dict[str, Any], message: object
) -> None:
    start = head()
    outcome = kwargs.pop("outcome")
    with pytest.raises(errors.FilingsError) as refused:
        decide(reviewer, submitted, outcome, **kwargs)
    assert refused.value.message == str(message)
    assert fresh(submitted).status == Filing.Status.SUBMITTED
    assert Decision.objects.count() == 0
    assert events_after(start) == []


def test_only_a_reviewer_records_a_decision_and_only_on_a_submitted_filing(
    preparer: User, reviewer: User, submitted: Filing
) -> None:
    with pytest.raises(errors.NotPermitted):
        decide(preparer, submitted, "filed")
    decide(reviewer, submitted, "filed")
    with pytest.raises(errors.StaleState):  # decided once
        decide(reviewer, submitted, "declined", reasons=[BLURRED])
    assert Decision.objects.count() == 1


def test_a_declined_filing_is_reworked_as_the_next_attempt(
    preparer: User, reviewer: User, submitted: Filing
) -> None:
    decide(reviewer, submitted, "declined", reasons=[BLURRED])
    start = head()

    review.filing_rework(actor=preparer, filing=submitted)

    filing = fresh(submitted)
    assert (filing.status, filing.attempt) == (Filing.Status.DRAFT, 2)
    assert events_after(start) == [
        row("filing.reworked", preparer, "filing", filing.pk, filing=filing, data={"attempt": 2})
    ]


def test_a_rework_approved_within_the_cooldown_needs_a_justification(
    settings: Any, preparer: User, reviewer: User, reviewer2: User, submitted: Filing
) -> None:
    settings.PORTAL_RESUBMIT_COOLDOWN_HOURS = 24
    decide(reviewer, submitted, "declined", reasons=[BLURRED])
    review.filing_rework(actor=preparer, filing=submitted)
    review.filing_submit(actor=preparer, filing=submitted)

    with pytest.raises(errors.FilingsError) as refused:
        review.filing_approve(actor=reviewer2, filing=submitted)
    assert refused.value.message == str(errors.JUSTIFICATION_REQUIRED).format(hours=24)
    assert fresh(submitted).status == Filing.Status.IN_REVIEW

    start = head()
    review.filing_approve(actor=reviewer2, filing=submitted, justification=" 执照已重拍 ")
    (approved,) = events_after(start)
    assert approved["kind"] == "filing.approved"
    assert approved["data"]["justification"] == "执照已重拍"


def test_after_the_cooldown_a_rework_is_approved_without_a_justification(
    settings: Any, preparer: User, reviewer: User, reviewer2: User, submitted: Filing
) -> None:
    decide(reviewer, submitted, "declined", reasons=[BLURRED])
    Decision.objects.update(recorded_at=timezone.now() - timedelta(hours=25))
    review.filing_rework(actor=preparer, filing=submitted)
    review.filing_submit(actor=preparer, filing=submitted)

    review.filing_approve(actor=reviewer2, filing=submitted)

    assert fresh(submitted).status == Filing.Status.APPROVED


def test_a_number_filing_filed_with_exceptions_makes_numbers_live_or_failed(
    preparer: User, reviewer: User
) -> None:
    company = filed_company(preparer, reviewer)
    digits = ["13800000001", "13800000002", "13800000003"]
    filing = received(
        reviewer, approve(preparer, reviewer, number_filing(preparer, company, digits))
    )

    decision = decide(reviewer, filing, "filed", failed_numbers={"13800000003": " 未实名 "})

    states = dict(PhoneNumber.objects.values_list("digits", "state"))
    assert states == {"13800000001": "live", "13800000002": "live", "13800000003": "failed"}
    assert PhoneNumber.objects.get(digits="13800000003").failure_reason == "未实名"
    assert list(DecisionReason.objects.values_list("code", "number", "text")) == [
        ("numbers.refused", "13800000003", "未实名")
    ]
    event = decision.filing.audit_events.get(kind="filing.decided")
    assert event.data["numbers"] == {
        "13800000001": "live",
        "13800000002": "live",
        "13800000003": "failed",
    }
    assert event.data["failed_numbers"] == {"13800000003": "未实名"}


def test_a_refused_number_must_be_in_the_filing_and_have_a_reason(
    preparer: User, reviewer: User
) -> None:
    company = filed_company(preparer, reviewer)
    filing = received(
        reviewer, approve(preparer, reviewer, number_filing(preparer, company, ["13800000001"]))
    )
    with pytest.raises(errors.FilingsError) as stranger:
        decide(reviewer, filing, "filed", failed_numbers={"13900000009": "x"})
    with pytest.raises(errors.FilingsError) as no_reason:
        decide(reviewer, filing, "filed", failed_numbers={"13800000001": " "})
    assert stranger.value.message == str(errors.NUMBERS_NOT_IN_FILING).format(numbers="13900000009")
    assert no_reason.value.message == str(errors.NUMBER_EXCEPTION_NEEDS_REASON).format(
        numbers="13800000001"
    )
    assert PhoneNumber.objects.get().state == "pending"


def test_a_declined_number_filing_fails_its_numbers_and_a_rework_takes_back_the_free_ones(
    preparer: User, reviewer: User
) -> None:
    company = filed_company(preparer, reviewer)
    digits = ["13800000001", "13800000002"]
    filing = received(
        reviewer, approve(preparer, reviewer, number_filing(preparer, company, digits))
    )
    decide(reviewer, filing, "declined", reasons=[("numbers.not_owned", "号码非本企业")])
    assert set(PhoneNumber.objects.values_list("state", flat=True)) == {"failed"}
    # One of them is filed again in another filing before the rework.
    other = file_numbers(preparer, [PhoneNumber.objects.get(digits="13800000002")])
    start = head()

    review.filing_rework(actor=preparer, filing=filing)

    filing = fresh(filing)
    assert (filing.status, filing.attempt) == (Filing.Status.DRAFT, 2)
    assert list(filing.filing_numbers.values_list("digits", flat=True)) == ["13800000001"]
    assert PhoneNumber.objects.get(digits="13800000001").open_filing_id == filing.pk
    assert PhoneNumber.objects.get(digits="13800000002").open_filing_id == other.pk
    assert events_after(start) == [
        row(
            "filing.reworked",
            preparer,
            "filing",
            filing.pk,
            filing=filing,
            data={"attempt": 2, "numbers": ["13800000001"], "dropped": ["13800000002"]},
        )
    ]


def test_a_declined_update_leaves_the_numbers_live(preparer: User, reviewer: User) -> None:
    company = filed_company(preparer, reviewer)
    found = add_numbers(preparer, company, ["13800000001"])
    added = received(reviewer, approve(preparer, reviewer, file_numbers(preparer, found)))
    decide(reviewer, added, "filed")
    update = received(
        reviewer,
        approve(preparer, reviewer, file_numbers(preparer, found, Filing.NumberAction.UPDATE)),
    )
    decide(reviewer, update, "declined", reasons=[("script.content", "话术含营销内容")])
    assert PhoneNumber.objects.get().state == "live"


def test_the_decision_page_records_a_decline_with_its_reasons(
    client: Client, reviewer: User, submitted: Filing
) -> None:
    client.force_login(reviewer)
    url = reverse("admin:filings_filing_decision", args=[submitted.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'value="businessLicense.blurred"' in page.content

    answer = client.post(
        url,
        {
            "outcome": "declined",
            "decided_on": timezone.localdate().isoformat(),
            "evidence": EVIDENCE,
            "reasons": ["businessLicense.blurred", "scripts.mismatch"],
            "details": "执照模糊",
        },
    )

    assert answer.status_code == 302
    decision = Decision.objects.get()
    assert decision.outcome == "declined"
    assert list(decision.reasons.values_list("code", "text")) == [
        ("businessLicense.blurred", "执照模糊"),
        ("scripts.mismatch", "执照模糊"),
    ]


def test_the_decision_page_shows_a_refusal_on_the_form_and_records_nothing(
    client: Client, reviewer: User, submitted: Filing
) -> None:
    client.force_login(reviewer)
    url = reverse("admin:filings_filing_decision", args=[submitted.pk])
    answer = client.post(
        url,
        {"outcome": "declined", "decided_on": timezone.localdate().isoformat(), "evidence": "x"},
    )
    assert answer.status_code == 200
    assert escape(str(errors.DECLINE_NEEDS_REASON)) in answer.content.decode()
    assert Decision.objects.count() == 0


def test_the_decision_page_is_for_reviewers_and_submitted_filings(
    client: Client, preparer: User, reviewer: User, submitted: Filing
) -> None:
    url = reverse("admin:filings_filing_decision", args=[submitted.pk])
    client.force_login(preparer)
    assert client.get(url).status_code == 403
    client.force_login(reviewer)
    decide(reviewer, submitted, "filed")
    answer = client.get(url)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("admin:filings_filing_change", args=[submitted.pk])


def test_a_rework_shows_the_reasons_by_what_they_name_until_it_is_sent_again(
    preparer: User, reviewer: User, submitted: Filing
) -> None:
    decide(reviewer, submitted, "declined", reasons=[BLURRED, SCRIPTS, ("other", "盖章")])
    assert open_reasons(fresh(submitted)) == {}  # declined, not reworked yet

    review.filing_rework(actor=preparer, filing=submitted)

    with translation.override("en"):
        shown = open_reasons(fresh(submitted))
    assert shown == {
        "businessLicense": [("blurred or unreadable", "右下角反光")],
        "scripts": [("a script does not match the business", "")],
        "": [("other (say what in the details)", "盖章")],
    }
    review.filing_submit(actor=preparer, filing=submitted)
    assert open_reasons(fresh(submitted)) == {}


def test_the_filing_page_shows_the_decision_and_pins_each_reason_to_its_field(
    client: Client, preparer: User, reviewer: User, submitted: Filing
) -> None:
    decide(
        reviewer,
        submitted,
        "declined",
        reasons=[("callee_source.unacceptable", "来源须为自有渠道"), BLURRED],
    )
    review.filing_rework(actor=preparer, filing=submitted)
    client.force_login(preparer)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("admin:filings_filing_change", args=[submitted.pk]))

    html = page.content.decode()
    assert 'id="attempt"' in html
    assert 'id="decision"' in html
    assert "the callee source is not acceptable (来源须为自有渠道)" in html
    # The callee source field carries its reason right under it.
    help_text = html[html.index('id="id_callee_source_helptext"') :]
    assert "来源须为自有渠道" in help_text[: help_text.index("</div>")]
    assert 'id="open-reasons"' in html


def test_reviewers_see_the_attempts_and_what_volcengine_said_before(
    settings: Any,
    client: Client,
    preparer: User,
    reviewer: User,
    reviewer2: User,
    submitted: Filing,
) -> None:
    settings.PORTAL_RESUBMIT_COOLDOWN_HOURS = 24
    decide(reviewer, submitted, "declined", reasons=[BLURRED])
    review.filing_rework(actor=preparer, filing=submitted)
    review.filing_submit(actor=preparer, filing=submitted)
    client.force_login(reviewer2)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("admin:filings_filing_review", args=[submitted.pk])).content.decode()

    attempts = page[page.index('id="attempts"') :]
    attempts = attempts[: attempts.index("</section>")]
    assert "Attempt 2" in attempts
    assert "Attempt 1 · Declined" in attempts
    assert "blurred or unreadable (右下角反光)" in attempts
    assert "approving needs a justification" in attempts


def test_the_approve_form_asks_for_a_justification_only_within_the_cooldown(
    settings: Any,
    client: Client,
    preparer: User,
    reviewer: User,
    reviewer2: User,
    submitted: Filing,
) -> None:
    settings.PORTAL_RESUBMIT_COOLDOWN_HOURS = 24
    client.force_login(reviewer2)
    page = reverse("admin:filings_filing_review", args=[submitted.pk])
    decide(reviewer, submitted, "declined", reasons=[BLURRED])
    review.filing_rework(actor=preparer, filing=submitted)
    review.filing_submit(actor=preparer, filing=submitted)
    assert 'name="justification"' in client.get(page).content.decode()

    Decision.objects.update(recorded_at=timezone.now() - timedelta(hours=25))
    assert 'name="justification"' not in client.get(page).content.decode()


def test_auditors_read_the_decisions_and_nobody_changes_them_there(
    client: Client, auditor: User, reviewer: User, superuser: User, submitted: Filing
) -> None:
    decision = decide(reviewer, submitted, "declined", reasons=[BLURRED])
    client.force_login(auditor)
    listing = client.get(reverse("admin:filings_decision_changelist"), {"q": "火山示例"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    detail = client.get(reverse("admin:filings_decision_change", args=[decision.pk]))
    assert "右下角反光" in detail.content.decode()
    client.force_login(superuser)
    answer = client.post(
        reverse("admin:filings_decision_change", args=[decision.pk]), {"evidence": "改"}
    )
    assert answer.status_code == 403
    assert Decision.objects.get().evidence == "工单 4711：已通过"


def test_the_decision_page_reads_refused_numbers_in_any_written_form(
    client: Client, preparer: User, reviewer: User
) -> None:
    company = filed_company(preparer, reviewer)
    digits = ["13800000001", "13800000002", "057188886666"]
    filing = received(
        reviewer, approve(preparer, reviewer, number_filing(preparer, company, digits))
    )
    client.force_login(reviewer)
    answer = client.post(
        reverse("admin:filings_filing_decision", args=[filing.pk]),
        {
            "outcome": "filed",
            "decided_on": timezone.localdate().isoformat(),
            "evidence": EVIDENCE,
            "failed_numbers": "+86 138 0000 0002 号码未实名\n\n(0571) 8888-6666  固话未开通",
        },
    )
    assert answer.status_code == 302
    assert dict(PhoneNumber.objects.values_list("digits", "failure_reason")) == {
        "13800000001": "",
        "13800000002": "号码未实名",
        "057188886666": "固话未开通",
    }


def test_a_filed_filing_is_done_its_numbers_checks_clean_and_company_edits_leave_it_be(
    preparer: User, reviewer: User
) -> None:
    company = filed_company(preparer, reviewer)
    filing = received(
        reviewer, approve(preparer, reviewer, number_filing(preparer, company, ["13800000001"]))
    )
    decide(reviewer, filing, "filed")
    assert failed(content_checks(fresh(filing))) == []
    start = head()

    editing.company_update(
        actor=preparer, company=company, name="改名有限公司", credit_code=company.credit_code
    )

    assert [e["kind"] for e in events_after(start) if e["filing_id"] == filing.pk] == []
