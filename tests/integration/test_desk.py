"""The desk's reads for a company: each blocker, the next step and who holds it (from the
workflow and roles tables), the last decision with its reasons, and a fixed number of queries."""

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from filings import audit, workflow
from filings.desk.company import ROWS, CompanyDesk, company_desk
from filings.desk.steps import NextStep, moved_by_portal, next_steps, roles_holding
from filings.models import Company, Decision, Document, Filing, FilingDocument, Submission
from filings.roles import ROLES
from filings.services import decisions, editing, review, sending
from filings.workflow import State
from tests.builders import VALID_CODES, approved_filing, fresh, in_review, stuck_in_sending
from tests.number_builders import EVIDENCE, received

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


BLURRED = ("businessLicense.blurred", "右下角反光")
SCRIPTS = ("scripts.mismatch", "")


def codes(desk: CompanyDesk) -> list[str]:
    return [blocker.code for blocker in desk.blockers]


def blocker(desk: CompanyDesk, code: str) -> Any:
    (found,) = [b for b in desk.blockers if b.code == code]
    return found


def accepted(filing: Filing, actor: User, started_at: datetime) -> Submission:
    """An accepted send of `filing` at `started_at`, stamped on it as the send path stamps its
    answer (a plain row: the desk only reads it)."""
    Filing.objects.filter(pk=filing.pk, status=State.SUBMITTED).update(state_since=started_at)
    return Submission.objects.create(
        filing=filing,
        actor=actor,
        content_hash="0" * 64,
        endpoint="http://127.0.0.1/sandbox/vms/",
        region="cn-beijing",
        request_body="{}",
        request_sha256="0" * 64,
        started_at=started_at,
        finished_at=started_at,
        duration_ms=5,
        http_status=200,
        provider_request_id="REQ-DESK",
        result_code="0",
        outcome=Submission.Outcome.ACCEPTED,
    )


# --- the next step and who holds it ------------------------------------------------------------


def test_each_states_next_steps_are_the_tables_person_moves_with_the_roles_holding_them() -> None:
    for state in State:
        person_moves = [m for m in workflow.moves_from(state) if m.permission is not None]
        steps = next_steps(state)
        assert {s.label for s in steps} == {str(m.label) for m in person_moves}, state
        for step in steps:
            (move, *_same_button) = [m for m in person_moves if str(m.label) == step.label]
            assert move.permission is not None
            codename = move.permission.split(".", 1)[1]
            assert step.roles == tuple(n for n, held in ROLES.items() if codename in held)


def test_forward_moves_come_first_and_four_eyes_is_said() -> None:
    assert next_steps(State.DRAFT) == [NextStep("Submit for review", ("Preparer",))]
    assert next_steps(State.IN_REVIEW) == [
        NextStep("Approve", ("Reviewer",), four_eyes=True),
        NextStep("Withdraw from review", ("Preparer",)),
        NextStep("Request changes", ("Reviewer",)),
    ]
    # The decision page's two moves (filed, declined) are one step.
    assert next_steps(State.SUBMITTED) == [NextStep("Record Volcengine's decision", ("Reviewer",))]
    assert next_steps(State.DECLINED) == [NextStep("Rework as a new attempt", ("Preparer",))]
    assert (next_steps(State.SENDING), moved_by_portal(State.SENDING)) == ([], True)
    assert (next_steps(State.FILED), moved_by_portal(State.FILED)) == ([], False)


def test_the_next_step_follows_the_tables_when_they_change(monkeypatch: Any) -> None:
    sender = replace(
        workflow.check_transition(workflow.Action.START_SENDING, State.APPROVED),
        permission="filings.view_company",
    )
    changed = tuple(
        sender if m.action == workflow.Action.START_SENDING else m for m in workflow.TRANSITIONS
    )
    monkeypatch.setattr(workflow, "TRANSITIONS", changed)
    monkeypatch.setitem(ROLES, "Sender", ("view_company",))

    (step,) = next_steps(State.APPROVED)

    assert step.roles == ("Preparer", "Reviewer", "Auditor", "Sender")
    assert roles_holding("filings.send_filing") == ("Reviewer",)
    assert roles_holding("auth.change_user") == ()


# --- blockers ----------------------------------------------------------------------------------


def test_a_company_without_a_filing_says_so_and_who_starts_one(
    preparer: User, company: Company
) -> None:
    desk = company_desk(company)

    assert desk.company_filing is None
    assert codes(desk) == ["no_company_filing"]
    assert desk.create_roles == ("Preparer",)
    assert (desk.number_filings_open, desk.last_decision) == (0, None)


def test_a_draft_lists_its_missing_documents_and_its_next_step(
    preparer: User, draft: Filing
) -> None:
    desk = company_desk(draft.company)

    assert desk.company_filing is not None
    assert (desk.company_filing.pk, desk.company_filing.status) == (draft.pk, State.DRAFT)
    assert desk.company_filing.steps == [NextStep("Submit for review", ("Preparer",))]
    missing = blocker(desk, "documents_missing")
    assert missing.text == "6 documents missing"
    assert "Business licence" in missing.detail
    assert missing.filing.url == reverse("admin:filings_filing_change", args=[draft.pk])


def test_a_new_filing_sending_the_companys_documents_by_reference_misses_none(
    preparer: User, reviewer: User
) -> None:
    sent = approved_filing(preparer, reviewer)
    renewal = editing.filing_create(
        actor=preparer, company=sent.company, callee_source="网站", business_carrier="火山示例"
    )
    licence = sent.documents.get(kind=Document.Kind.BUSINESS_LICENSE, part=Document.Part.MAIN)
    Document.objects.filter(pk=licence.pk).update(valid_until=timezone.localdate())

    desk = desk_of(renewal)

    assert desk.company_filing is not None
    assert desk.company_filing.pk == renewal.pk
    assert codes(desk) == ["document_expiring"]  # taken over: the same licence, still expiring
    assert blocker(desk, "document_expiring").filing.pk == renewal.pk


def test_changes_requested_is_a_blocker_until_the_draft_goes_back_to_review(
    preparer: User, reviewer: User
) -> None:
    filing = in_review(preparer)
    assert codes(company_desk(filing.company)) == []
    review.filing_request_changes(actor=reviewer, filing=filing, comment="营业执照不清晰")

    desk = company_desk(filing.company)

    assert codes(desk) == ["changes_requested"]
    assert blocker(desk, "changes_requested").detail == "营业执照不清晰"
    # An edit does not answer it; submitting again does.
    editing.filing_update(
        actor=preparer, filing=fresh(filing), callee_source="官网", business_carrier="火山示例"
    )
    assert codes(company_desk(filing.company)) == ["changes_requested"]
    review.filing_submit(actor=preparer, filing=fresh(filing))
    assert codes(company_desk(filing.company)) == []


def test_a_withdrawn_draft_is_not_changes_requested(preparer: User) -> None:
    filing = in_review(preparer)
    review.filing_withdraw(actor=preparer, filing=filing)
    assert codes(company_desk(filing.company)) == []


def test_expiring_and_expired_documents_are_blockers_the_expired_one_first(
    client: Client, preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    today = timezone.localdate()
    current = filing.documents.filter(superseded_at__isnull=True, part=Document.Part.MAIN)
    current.filter(kind=Document.Kind.BUSINESS_LICENSE).update(valid_until=today + timedelta(10))
    current.filter(kind=Document.Kind.OPERATOR_IDCARD).update(valid_until=today - timedelta(1))
    current.filter(kind=Document.Kind.PROPRIETOR_IDCARD).update(valid_until=today + timedelta(31))

    desk = company_desk(filing.company)

    found = [(b.text, b.alert) for b in desk.blockers if b.code == "document_expiring"]
    assert found == [
        (f"Administrator ID document (管理员证件) expired on {today - timedelta(1)}", True),
        (f"Business licence (营业执照) valid until {today + timedelta(10)}", False),
    ]
    # The page links them to the documents to renew.
    client.force_login(preparer)
    page = client.get(reverse("admin:filings_company_change", args=[filing.company_id]))
    blockers = re.search(
        r'<div class="desk-part" id="desk-blockers">.*?</div>', page.content.decode(), re.S
    )
    assert blockers
    assert blockers.group(0).count(reverse("admin:filings_expiring_documents")) == 2
    # Nothing is renewed once the company's service ended.
    Company.objects.filter(pk=filing.company_id).update(service_ended_on=today)
    assert "document_expiring" not in codes(desk_of(filing))


def test_waiting_on_volcengine_counts_days_from_the_accepted_send_and_alerts_past_the_age(
    preparer: User, reviewer: User, settings: Any
) -> None:
    settings.PORTAL_WAITING_ALERT_DAYS = 5
    filing = received(reviewer, approved_filing(preparer, reviewer))
    # Without an accepted send (an unknown outcome resolved as received): since the move.
    assert blocker(desk_of(filing), "waiting").filing.days == 0
    accepted(filing, reviewer, timezone.now() - timedelta(days=8, hours=1))
    accepted(filing, reviewer, timezone.now() - timedelta(days=6, hours=1))  # the newest counts

    waiting = blocker(company_desk(filing.company), "waiting")

    assert (waiting.text, waiting.alert, waiting.filing.days) == (
        "Waiting on Volcengine for 6 days",
        True,
        6,
    )
    assert waiting.filing.steps == [NextStep("Record Volcengine's decision", ("Reviewer",))]
    Submission.objects.filter(filing=filing).delete()
    accepted(filing, reviewer, timezone.now() - timedelta(days=4, hours=23))
    assert blocker(company_desk(filing.company), "waiting").alert is False


def desk_of(filing: Filing) -> CompanyDesk:
    return company_desk(fresh(filing).company)


def test_an_unknown_outcome_is_a_blocker_for_a_reviewer(preparer: User, reviewer: User) -> None:
    filing = approved_filing(preparer, reviewer)
    stuck_in_sending(reviewer, filing)
    sending.reconcile_sending(actor=reviewer, older_than=timedelta(seconds=-60))

    desk = desk_of(filing)

    assert codes(desk) == ["unknown"]
    assert blocker(desk, "unknown").alert is True
    assert desk.company_filing is not None
    assert {step.roles for step in desk.company_filing.steps} == {("Reviewer",)}


def test_a_decline_is_a_blocker_and_the_last_decision_shows_its_reasons(
    preparer: User, reviewer: User
) -> None:
    filing = received(reviewer, approved_filing(preparer, reviewer))
    decisions.filing_record_decision(
        actor=reviewer,
        filing=filing,
        outcome=Decision.Outcome.DECLINED,
        decided_on=timezone.localdate(),
        evidence=EVIDENCE,
        reasons=[BLURRED, SCRIPTS],
    )

    desk = desk_of(filing)

    assert codes(desk) == ["declined"]
    assert blocker(desk, "declined").text == "Declined by Volcengine (attempt 1)"
    assert desk.company_filing is not None
    assert desk.company_filing.steps == [NextStep("Rework as a new attempt", ("Preparer",))]
    last = desk.last_decision
    assert last is not None
    assert (last.decision.outcome, last.decision.evidence) == ("declined", EVIDENCE)
    assert last.reasons == [
        "Business licence (营业执照): blurred or unreadable (右下角反光)",
        "a script does not match the business",
    ]
    # The rework is the next attempt: no longer declined, its documents all there.
    review.filing_rework(actor=preparer, filing=fresh(filing))
    desk = desk_of(filing)
    assert codes(desk) == []
    assert desk.company_filing is not None
    assert (desk.company_filing.status, desk.company_filing.attempt) == (State.DRAFT, 2)


def test_the_latest_company_filing_counts_and_filed_number_filings_are_not_open(
    preparer: User, reviewer: User, company: Company
) -> None:
    old = editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier="火山示例"
    )
    new = editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier="火山示例"
    )
    bulk_number_filings(company, preparer, [State.FILED, State.DRAFT, State.SUBMITTED])

    desk = company_desk(company)

    assert desk.company_filing is not None
    assert desk.company_filing.pk == new.pk != old.pk
    assert desk.number_filings_open == 2
    assert [line.status for line in desk.number_filings] == [State.SUBMITTED, State.DRAFT]
    assert dict(desk.number_filings_by_state) == {"Draft": 1, "Submitted": 1}


def test_the_number_filings_link_lists_exactly_the_companys_number_filings(
    client: Client, preparer: User, company: Company
) -> None:
    other = editing.company_create(actor=preparer, name="别的公司", credit_code=VALID_CODES[1])
    mine = bulk_number_filings(company, preparer, [State.DRAFT, State.DRAFT])
    bulk_number_filings(other, preparer, [State.DRAFT])
    client.force_login(preparer)

    page = client.get(company_desk(company).number_filings_url)

    assert page.status_code == 200
    assert sorted(page.context["cl"].result_list.values_list("pk", flat=True)) == sorted(
        f.pk for f in mine
    )


# --- a fixed number of queries -----------------------------------------------------------------

STATES = [State.DRAFT, State.IN_REVIEW, State.SUBMITTED, State.UNKNOWN, State.DECLINED]


def bulk_number_filings(company: Company, actor: User, states: list[State]) -> list[Filing]:
    """Plain number filing rows (the desk reads them; no service writes them here)."""
    now = timezone.now()
    made = Filing.objects.bulk_create(
        Filing(
            company=company,
            kind=Filing.Kind.NUMBER,
            number_action=Filing.NumberAction.ADD,
            status=state,
            created_by=actor,
            updated_by=actor,
        )
        for state in states
    )
    # Distinct creation times, newest last, so "newest first" is well defined.
    for index, filing in enumerate(made):
        Filing.objects.filter(pk=filing.pk).update(created_at=now + timedelta(seconds=index))
    return made


def many_rows(company: Company, preparer: User, reviewer: User, count: int) -> None:
    """`count` number filings of every state with a letter each, sends, decisions and events."""
    filings = bulk_number_filings(
        company, preparer, [STATES[index % len(STATES)] for index in range(count)]
    )
    letters = Document.objects.bulk_create(
        Document(
            company=company,
            filing=filing,
            kind=Document.Kind.BUSINESS_USAGE_LETTER,
            storage_key=f"desk/{filing.pk}",
            original_name="letter.jpg",
            api_filename="letter.jpg",
            content_type="image/jpeg",
            size=1,
            width=1,
            height=1,
            sha256="0" * 64,
            uploaded_by=preparer,
            valid_until=timezone.localdate() + timedelta(days=index % 60),
        )
        for index, filing in enumerate(filings)
    )
    FilingDocument.objects.bulk_create(
        FilingDocument(filing_id=letter.filing_id, document=letter, kind=letter.kind)
        for letter in letters
    )
    now = timezone.now()
    Submission.objects.bulk_create(
        Submission(
            filing=filing,
            actor=reviewer,
            content_hash="0" * 64,
            endpoint="http://127.0.0.1/",
            region="cn-beijing",
            request_body="{}",
            request_sha256="0" * 64,
            started_at=now - timedelta(hours=index),
            finished_at=now,
            duration_ms=5,
            outcome=Submission.Outcome.ACCEPTED,
        )
        for index, filing in enumerate(filings)
        if filing.status == State.SUBMITTED
    )
    Decision.objects.bulk_create(
        Decision(
            filing=filing,
            attempt=1,
            outcome=Decision.Outcome.DECLINED,
            decided_on=timezone.localdate(),
            evidence="工单",
            recorded_by=reviewer,
        )
        for filing in filings
        if filing.status == State.DECLINED
    )
    with transaction.atomic():
        for filing in filings[:: max(1, count // 50)]:
            audit.record(
                actor=reviewer, kind="filing.changes_requested", target=filing, filing=filing
            )


def desk_queries(company: Company) -> int:
    with CaptureQueriesContext(connection) as captured:
        company_desk(company)
    return len(captured)


def test_the_desk_takes_four_queries_with_one_filing_or_eleven_hundred(
    preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    small = editing.company_create(actor=preparer, name="小公司", credit_code=VALID_CODES[1])
    many_rows(small, preparer, reviewer, 5)
    few = desk_queries(small)
    many_rows(filing.company, preparer, reviewer, 1100)

    assert desk_queries(filing.company) == few == 4
    desk = company_desk(filing.company)
    assert desk.number_filings_open == 1100
    assert len(desk.number_filings) == len(desk.blockers) == ROWS
    assert desk.blockers_total > 1100
    assert desk.last_decision is not None


def page_queries(client: Client, company: Company) -> int:
    url = reverse("admin:filings_company_change", args=[company.pk])
    client.get(url)  # the session and permissions are read once before counting
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert b'id="desk"' in response.content
    return len(captured)


def test_the_company_page_takes_as_many_queries_with_eleven_hundred_filings_as_with_five(
    client: Client, preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    small = editing.company_create(actor=preparer, name="小公司", credit_code=VALID_CODES[1])
    many_rows(small, preparer, reviewer, 5)
    client.force_login(reviewer)
    few = page_queries(client, small)
    many_rows(filing.company, preparer, reviewer, 1100)

    assert page_queries(client, filing.company) == few
