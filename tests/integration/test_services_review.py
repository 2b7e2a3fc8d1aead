"""Submit, withdraw, request changes and approve: what a success writes (exact audit rows)
and that a refused call (no permission, missing parts, a stale state) changes nothing at
all."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from filings import errors
from filings.content import content_hash
from filings.models import Document, Filing
from filings.services import editing, review
from filings.services.documents import document_remove
from tests.audit_rows import events_after, head, row, sha
from tests.builders import KINDS, VALID_CODES, complete_filing, fresh, image, in_review
from tests.snapshots import refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


# --- submit


def test_submit_writes_one_event(preparer: User, preparer2: User) -> None:
    filing = complete_filing(preparer)
    start = head()

    review.filing_submit(actor=preparer2, filing=filing)

    assert fresh(filing).status == "IN_REVIEW"
    assert events_after(start) == [
        row("filing.submitted", preparer2, "filing", filing.pk, filing=filing)
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_submit_lists_a_missing_document_by_name(preparer: User, language: str) -> None:
    filing = complete_filing(preparer)
    document_remove(actor=preparer, filing=filing, kind="networkaccessCommitmentletter")

    with translation.override(language):
        error = refused(
            errors.PreflightFailed, lambda: review.filing_submit(actor=preparer, filing=filing)
        )
        missing = str(Document.Kind.NETWORK_ACCESS_LETTER.label)
        present = str(Document.Kind.BUSINESS_LICENSE.label)

    assert isinstance(error, errors.PreflightFailed)
    assert len(error.problems) == 1
    assert missing in error.problems[0]
    assert missing in error.message
    assert present not in error.message
    if language == "en":
        assert error.problems == [
            "Network-access commitment letter (入网承诺书): missing — upload it"
        ]


def test_submit_lists_every_missing_part_of_an_empty_draft(preparer: User, draft: Filing) -> None:
    Filing.objects.filter(pk=draft.pk).update(callee_source="")
    with translation.override("en"):
        error = refused(
            errors.PreflightFailed, lambda: review.filing_submit(actor=preparer, filing=draft)
        )
        labels = [str(Document.Kind(kind).label) for kind in KINDS]
    assert isinstance(error, errors.PreflightFailed)
    # One problem per missing thing, in order: the six documents, the callee source, scripts.
    assert len(error.problems) == 8
    for problem, label in zip(error.problems, labels, strict=False):
        assert problem.startswith(f"{label}: ")
    assert error.problems[6].startswith("Callee source: ")
    assert error.problems[7].startswith("Call scripts: ")
    assert not any("Business carrier" in p or "Credit code" in p for p in error.problems)


@pytest.mark.parametrize("user", ["reviewer", "auditor"])
def test_submit_needs_the_permission(
    preparer: User, user: str, request: pytest.FixtureRequest
) -> None:
    filing = complete_filing(preparer)
    actor = request.getfixturevalue(user)
    refused(errors.NotPermitted, lambda: review.filing_submit(actor=actor, filing=filing))


# --- withdraw


def test_withdraw_writes_one_event(preparer: User) -> None:
    filing = in_review(preparer)
    start = head()

    review.filing_withdraw(actor=preparer, filing=filing)

    assert fresh(filing).status == "DRAFT"
    assert events_after(start) == [
        row("filing.withdrawn", preparer, "filing", filing.pk, filing=filing)
    ]


def test_withdraw_refusals(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    refused(errors.NotPermitted, lambda: review.filing_withdraw(actor=reviewer, filing=filing))
    draft = complete_filing(preparer, code=VALID_CODES[1])
    refused(errors.StaleState, lambda: review.filing_withdraw(actor=preparer, filing=draft))


# --- request changes


def test_request_changes_writes_the_comment(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    start = head()

    review.filing_request_changes(actor=reviewer, filing=filing, comment="  请补充公函盖章  ")

    filing = fresh(filing)
    assert (filing.status, filing.review_comment) == ("DRAFT", "请补充公函盖章")
    assert events_after(start) == [
        row(
            "filing.changes_requested",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={"comment": "请补充公函盖章"},
        )
    ]


@pytest.mark.parametrize("comment", ["", "   \n\t "])
def test_request_changes_requires_a_comment(preparer: User, reviewer: User, comment: str) -> None:
    filing = in_review(preparer)
    error = refused(
        errors.FilingsError,
        lambda: review.filing_request_changes(actor=reviewer, filing=filing, comment=comment),
    )
    assert error.message == str(errors.COMMENT_REQUIRED)


def test_request_changes_needs_the_permission(preparer: User) -> None:
    filing = in_review(preparer)
    refused(
        errors.NotPermitted,
        lambda: review.filing_request_changes(actor=preparer, filing=filing, comment="x"),
    )


# --- approve


def test_approve_binds_the_content_hash(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    start = head()

    review.filing_approve(actor=reviewer, filing=filing)

    filing = fresh(filing)
    assert filing.status == "APPROVED"
    assert filing.approved_by == reviewer
    assert filing.approved_at is not None
    assert len(filing.approved_hash) == 64
    assert filing.approved_hash == content_hash(filing)
    documents = {kind: sha(image(index)) for index, kind in enumerate(KINDS)}
    assert events_after(start) == [
        row(
            "filing.approved",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={"content_hash": filing.approved_hash, "documents": documents},
        )
    ]


def test_approve_clears_an_earlier_review_comment(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    review.filing_request_changes(actor=reviewer, filing=filing, comment="盖章")
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).review_comment == ""


@pytest.mark.parametrize("user", ["preparer2", "auditor"])
def test_approve_needs_the_permission(
    preparer: User, user: str, request: pytest.FixtureRequest
) -> None:
    filing = in_review(preparer)
    actor = request.getfixturevalue(user)
    error = refused(errors.NotPermitted, lambda: review.filing_approve(actor=actor, filing=filing))
    assert error.message == str(errors.NOT_PERMITTED)


def test_approve_refuses_a_filing_not_in_review(preparer: User, reviewer: User) -> None:
    filing = complete_filing(preparer)
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer, filing=filing))


def test_approve_runs_the_sending_checks(preparer: User, reviewer: User, settings: Any) -> None:
    filing = in_review(preparer)
    settings.VOLC_SECRETKEY = ""
    error = refused(
        errors.PreflightFailed, lambda: review.filing_approve(actor=reviewer, filing=filing)
    )
    assert isinstance(error, errors.PreflightFailed)
    assert len(error.problems) == 1
    assert "VOLC_SECRETKEY is not set" in error.problems[0]


# --- stale


def test_stale_submit(preparer: User, preparer2: User) -> None:
    filing = complete_filing(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_submit(actor=preparer, filing=first)
    error = refused(errors.StaleState, lambda: review.filing_submit(actor=preparer2, filing=second))
    label = str(Filing.Status.IN_REVIEW.label)
    assert error.message == str(errors.STALE_STATE).format(status=label)


def test_stale_withdraw(preparer: User, preparer2: User) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_withdraw(actor=preparer, filing=first)
    refused(errors.StaleState, lambda: review.filing_withdraw(actor=preparer2, filing=second))


def test_stale_approve_after_changes_were_requested(
    preparer: User, reviewer: User, reviewer2: User
) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_request_changes(actor=reviewer, filing=first, comment="盖章")
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer2, filing=second))


def test_stale_request_changes_after_approval(
    preparer: User, reviewer: User, reviewer2: User
) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_approve(actor=reviewer, filing=first)
    refused(
        errors.StaleState,
        lambda: review.filing_request_changes(actor=reviewer2, filing=second, comment="x"),
    )


def test_stale_second_approval(preparer: User, reviewer: User, reviewer2: User) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_approve(actor=reviewer, filing=first)
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer2, filing=second))
    assert fresh(filing).approved_by == reviewer


def test_stale_approve_after_withdraw(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_withdraw(actor=preparer, filing=first)
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer, filing=second))


def test_stale_edit_after_submit_is_refused(preparer: User, preparer2: User) -> None:
    filing = complete_filing(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_submit(actor=preparer, filing=first)
    refused(
        errors.FilingsError,
        lambda: editing.filing_update(actor=preparer2, filing=second, callee_source="x"),
    )
