"""After a send whose outcome is unknown: filings stuck in SENDING become UNKNOWN without
resending, a reviewer resolves them with evidence, a rejected filing is reworked."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from filings import errors
from filings.models import Filing, Submission
from filings.services import editing, review, sending
from tests.audit_rows import events_after, head, row
from tests.builders import VALID_CODES, approved_filing, fresh, stuck_in_sending
from tests.snapshots import refused, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


# --- helpers


def unknown(preparer: User, reviewer: User) -> Filing:
    """An approved filing whose send started and whose process died: reconciled to UNKNOWN."""
    filing = approved_filing(preparer, reviewer)
    stuck_in_sending(reviewer, filing)
    Filing.objects.filter(pk=filing.pk).update(
        sending_started_at=timezone.now() - timedelta(hours=1)
    )
    assert sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15)) == [
        filing.pk
    ]
    return fresh(filing)


# --- reconcile


def test_reconcile_moves_only_filings_stuck_in_sending(preparer: User, reviewer: User) -> None:
    stuck = approved_filing(preparer, reviewer)
    recent = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    idle = approved_filing(preparer, reviewer, code=VALID_CODES[2])
    stuck_in_sending(reviewer, stuck)
    stuck_in_sending(reviewer, recent)
    Filing.objects.filter(pk=stuck.pk).update(
        sending_started_at=timezone.now() - timedelta(minutes=16)
    )
    start = head()

    moved = sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15))

    assert moved == [stuck.pk]
    stuck, recent, idle = fresh(stuck), fresh(recent), fresh(idle)
    assert (stuck.status, stuck.sending_started_at) == ("UNKNOWN", None)
    assert (recent.status, idle.status) == ("SENDING", "APPROVED")
    assert events_after(start) == [
        row(
            "filing.reconciled",
            reviewer,
            "filing",
            stuck.pk,
            filing=stuck,
            data={"status": "UNKNOWN", "reason": "stuck in SENDING; outcome unknown"},
        )
    ]
    assert not Submission.objects.exists()  # nothing was (re)sent
    before = snapshot()
    assert sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15)) == []
    assert snapshot() == before


def test_reconcile_needs_the_send_permission(preparer: User, reviewer: User, auditor: User) -> None:
    stuck = approved_filing(preparer, reviewer)
    stuck_in_sending(reviewer, stuck)
    for actor in (preparer, auditor):
        error = refused(
            errors.NotPermitted,
            lambda a=actor: sending.reconcile_sending(actor=a, older_than=timedelta(seconds=-60)),
        )
        assert error.message == str(errors.NOT_PERMITTED)
    assert fresh(stuck).status == "SENDING"


def test_reconcile_command_refuses_a_user_without_the_send_permission(
    preparer: User, reviewer: User
) -> None:
    stuck = approved_filing(preparer, reviewer)
    stuck_in_sending(reviewer, stuck)
    before = snapshot()

    with pytest.raises(CommandError) as caught:
        call_command("reconcile_sending", "--as", preparer.username, "--minutes", "-1")

    assert str(caught.value) == str(errors.NOT_PERMITTED)
    assert snapshot() == before


# --- resolve


@pytest.mark.parametrize("status", ["SUBMITTED", "REJECTED", "APPROVED"])
def test_resolve_records_the_evidence(
    preparer: User, reviewer: User, reviewer2: User, status: str
) -> None:
    filing = unknown(preparer, reviewer)
    approved_hash = filing.approved_hash
    start = head()

    review.filing_resolve(actor=reviewer2, filing=filing, status=status, note="  工单 #123 答复  ")

    filing = fresh(filing)
    assert filing.status == status
    assert filing.approved_hash == approved_hash
    assert events_after(start) == [
        row(
            "filing.resolved",
            reviewer2,
            "filing",
            filing.pk,
            filing=filing,
            data={"status": status, "note": "工单 #123 答复"},
        )
    ]


@pytest.mark.parametrize("note", ["", "  \n "])
def test_resolve_requires_a_note(preparer: User, reviewer: User, note: str) -> None:
    filing = unknown(preparer, reviewer)
    error = refused(
        errors.FilingsError,
        lambda: review.filing_resolve(actor=reviewer, filing=filing, status="SUBMITTED", note=note),
    )
    assert error.message == str(errors.NOTE_REQUIRED)


@pytest.mark.parametrize("status", ["DRAFT", "SENDING", "UNKNOWN", "submitted"])
def test_resolve_refuses_an_unknown_resolution(preparer: User, reviewer: User, status: str) -> None:
    filing = unknown(preparer, reviewer)
    refused(
        errors.FilingsError,
        lambda: review.filing_resolve(actor=reviewer, filing=filing, status=status, note="n"),
    )


def test_resolve_refusals(preparer: User, reviewer: User, reviewer2: User) -> None:
    filing = unknown(preparer, reviewer)
    refused(
        errors.NotPermitted,
        lambda: review.filing_resolve(actor=preparer, filing=filing, status="SUBMITTED", note="n"),
    )
    first, second = fresh(filing), fresh(filing)
    review.filing_resolve(actor=reviewer, filing=first, status="SUBMITTED", note="工单")
    refused(
        errors.StaleState,
        lambda: review.filing_resolve(actor=reviewer2, filing=second, status="REJECTED", note="n"),
    )
    approved = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    refused(
        errors.StaleState,
        lambda: review.filing_resolve(actor=reviewer, filing=approved, status="REJECTED", note="n"),
    )


# --- rework


def rejected(preparer: User, reviewer: User) -> Filing:
    filing = unknown(preparer, reviewer)
    review.filing_resolve(actor=reviewer, filing=filing, status="REJECTED", note="被拒")
    return fresh(filing)


def test_rework_turns_a_rejected_filing_into_a_draft(
    preparer: User, preparer2: User, reviewer: User
) -> None:
    filing = rejected(preparer, reviewer)
    assert filing.approved_hash
    start = head()

    review.filing_rework(actor=preparer2, filing=filing)

    filing = fresh(filing)
    assert filing.status == "DRAFT"
    assert (filing.approved_hash, filing.approved_by, filing.approved_at) == ("", None, None)
    assert events_after(start) == [
        row("filing.reworked", preparer2, "filing", filing.pk, filing=filing)
    ]
    editing.filing_update(actor=preparer2, filing=filing, callee_source="公众号")  # editable again


def test_rework_refusals(preparer: User, preparer2: User, reviewer: User) -> None:
    filing = rejected(preparer, reviewer)
    refused(errors.NotPermitted, lambda: review.filing_rework(actor=reviewer, filing=filing))
    first, second = fresh(filing), fresh(filing)
    review.filing_rework(actor=preparer, filing=first)
    refused(errors.StaleState, lambda: review.filing_rework(actor=preparer2, filing=second))
    approved = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    refused(errors.StaleState, lambda: review.filing_rework(actor=preparer, filing=approved))
