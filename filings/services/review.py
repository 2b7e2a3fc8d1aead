"""Services that move a filing through review: submit, withdraw, request changes, approve."""

from django.db import transaction
from django.utils import timezone

from filings import audit, errors
from filings.content import content_hash, current_documents
from filings.four_eyes import has_changed
from filings.models import Filing
from filings.preflight import content_checks, require_passed, sending_checks
from filings.services.common import Actor, lock_filing, require_perm, transition
from filings.workflow import Action


@transaction.atomic
def filing_submit(*, actor: Actor, filing: Filing) -> Filing:
    require_perm(actor, "filings.change_filing")
    filing = lock_filing(filing.pk)
    require_passed(content_checks(filing))
    # Submitting is not editing: `updated_by` keeps the last editor.
    move = transition(filing, Action.SUBMIT)
    audit.record(actor=actor, kind=move.event_kind, target=filing, filing=filing)
    return filing


@transaction.atomic
def filing_withdraw(*, actor: Actor, filing: Filing) -> Filing:
    require_perm(actor, "filings.change_filing")
    filing = lock_filing(filing.pk)
    move = transition(filing, Action.WITHDRAW)
    audit.record(actor=actor, kind=move.event_kind, target=filing, filing=filing)
    return filing


@transaction.atomic
def filing_request_changes(*, actor: Actor, filing: Filing, comment: str) -> Filing:
    require_perm(actor, "filings.review_filing")
    comment = comment.strip()
    if not comment:
        raise errors.FilingsError(str(errors.COMMENT_REQUIRED))
    filing = lock_filing(filing.pk)
    move = transition(filing, Action.REQUEST_CHANGES, review_comment=comment)
    audit.record(
        actor=actor, kind=move.event_kind, target=filing, filing=filing, data={"comment": comment}
    )
    return filing


@transaction.atomic
def filing_approve(*, actor: Actor, filing: Filing, seen_hash: str | None = None) -> Filing:
    """Approve a filing in review, binding the approval to the hash of its content.

    `seen_hash`: the content hash of the page the reviewer approved from; the approval is refused
    when the content is no longer that. Callers that showed nothing pass None.
    """
    require_perm(actor, "filings.review_filing")
    filing = lock_filing(filing.pk)
    if has_changed(filing.pk, actor.pk):
        raise errors.NotPermitted(str(errors.FOUR_EYES))
    present = current_documents(filing)
    require_passed(sending_checks(filing, present))
    digest = content_hash(filing, present)
    if seen_hash is not None and seen_hash != digest:
        raise errors.StaleState(str(errors.SEEN_CONTENT_CHANGED))
    move = transition(
        filing,
        Action.APPROVE,
        approved_hash=digest,
        approved_by=actor,
        approved_at=timezone.now(),
        review_comment="",
    )
    audit.record(
        actor=actor,
        kind=move.event_kind,
        target=filing,
        filing=filing,
        data={
            "content_hash": digest,
            "documents": {kind: d.sha256 for kind, d in sorted(present.items())},
        },
    )
    return filing


RESOLUTIONS = {
    "SUBMITTED": Action.RESOLVE_SUBMITTED,
    "REJECTED": Action.RESOLVE_REJECTED,
    "APPROVED": Action.RESOLVE_NOT_SENT,
}


@transaction.atomic
def filing_resolve(*, actor: Actor, filing: Filing, status: str, note: str) -> Filing:
    """Settle an UNKNOWN outcome from outside evidence; never resends anything."""
    require_perm(actor, "filings.review_filing")
    note = note.strip()
    if not note:
        raise errors.FilingsError(str(errors.NOTE_REQUIRED))
    if status not in RESOLUTIONS:
        raise errors.FilingsError(f"Unknown resolution {status!r}.")
    filing = lock_filing(filing.pk)
    move = transition(filing, RESOLUTIONS[status])
    audit.record(
        actor=actor,
        kind=move.event_kind,
        target=filing,
        filing=filing,
        data={"status": status, "note": note},
    )
    return filing


@transaction.atomic
def filing_rework(*, actor: Actor, filing: Filing) -> Filing:
    """Turn a rejected filing back into a draft so it can be fixed and reviewed again."""
    require_perm(actor, "filings.change_filing")
    filing = lock_filing(filing.pk)
    move = transition(
        filing,
        Action.REWORK,
        approved_hash="",
        approved_by=None,
        approved_at=None,
    )
    audit.record(actor=actor, kind=move.event_kind, target=filing, filing=filing)
    return filing
