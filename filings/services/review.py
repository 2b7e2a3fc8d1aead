"""Services that move a filing by a person's decision: submit, withdraw, request changes,
approve, resolve an unknown outcome, rework. Who may make each move is the workflow table's."""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from filings import audit, errors
from filings.content import content_hash, current_documents
from filings.models import Filing
from filings.preflight import content_checks, require_passed, sending_checks
from filings.services.common import Actor, person_move, transition
from filings.services.decisions import justification_needed
from filings.services.numbers import numbers_after_move, numbers_take_back
from filings.workflow import Action, Input, State, resolutions


@transaction.atomic
def filing_submit(*, actor: Actor, filing: Filing) -> Filing:
    filing, _ = person_move(actor, filing.pk, Action.SUBMIT)
    require_passed(content_checks(filing))
    # Submitting is not editing: `updated_by` keeps the last editor.
    move = transition(filing, Action.SUBMIT)
    audit.record(actor=actor, kind=move.event_kind, target=filing, filing=filing)
    return filing


@transaction.atomic
def filing_withdraw(*, actor: Actor, filing: Filing) -> Filing:
    filing, _ = person_move(actor, filing.pk, Action.WITHDRAW)
    move = transition(filing, Action.WITHDRAW)
    audit.record(actor=actor, kind=move.event_kind, target=filing, filing=filing)
    return filing


@transaction.atomic
def filing_request_changes(*, actor: Actor, filing: Filing, comment: str) -> Filing:
    comment = comment.strip()
    if not comment:
        raise errors.FilingsError(str(errors.COMMENT_REQUIRED))
    filing, _ = person_move(actor, filing.pk, Action.REQUEST_CHANGES)
    move = transition(filing, Action.REQUEST_CHANGES, review_comment=comment)
    audit.record(
        actor=actor, kind=move.event_kind, target=filing, filing=filing, data={"comment": comment}
    )
    return filing


@transaction.atomic
def filing_approve(
    *, actor: Actor, filing: Filing, seen_hash: str | None = None, justification: str = ""
) -> Filing:
    """Approve a filing in review, binding the approval to the hash of its content.

    `seen_hash`: the content hash of the page the reviewer approved from; the approval is refused
    when the content is no longer that. Callers that showed nothing pass None.
    `justification`: why a rework may go out within the cooldown after Volcengine declined it;
    required then, and kept in the approval's event.
    """
    filing, _ = person_move(actor, filing.pk, Action.APPROVE)
    present = current_documents(filing)
    require_passed(sending_checks(filing, present))
    digest = content_hash(filing, present)
    if seen_hash is not None and seen_hash != digest:
        raise errors.StaleState(str(errors.SEEN_CONTENT_CHANGED))
    justification = justification.strip()
    if justification_needed(filing) and not justification:
        raise errors.FilingsError(
            str(errors.JUSTIFICATION_REQUIRED).format(hours=settings.PORTAL_RESUBMIT_COOLDOWN_HOURS)
        )
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
            **({"justification": justification} if justification else {}),
        },
    )
    return filing


@transaction.atomic
def filing_resolve(*, actor: Actor, filing: Filing, status: str, note: str) -> Filing:
    """Settle an UNKNOWN outcome from outside evidence; `status` is the state it leads to.

    Never resends anything.
    """
    note = note.strip()
    if not note:
        raise errors.FilingsError(str(errors.NOTE_REQUIRED))
    chosen = {move.target.value: move.action for move in resolutions()}.get(status)
    if chosen is None:
        raise errors.FilingsError(str(errors.UNKNOWN_RESOLUTION).format(status=status))
    filing, _ = person_move(actor, filing.pk, chosen)
    move = transition(filing, chosen)
    numbers_after_move(actor, filing, move)
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
    """Turn a rejected or declined filing back into a draft so it can be fixed and reviewed
    again. After Volcengine declined it, the draft is the next attempt, and a number filing
    takes back those of its numbers that are still free to be filed."""
    filing, _ = person_move(actor, filing.pk, Action.REWORK)
    declined = filing.status == State.DECLINED
    attempt = filing.attempt + 1 if declined else filing.attempt
    move = transition(
        filing,
        Action.REWORK,
        approved_hash="",
        approved_by=None,
        approved_at=None,
        attempt=attempt,
    )
    data: dict[str, object] = {"attempt": attempt} if declined else {}
    if declined and filing.kind == Filing.Kind.NUMBER:
        data.update(numbers_take_back(filing))
    audit.record(actor=actor, kind=move.event_kind, target=filing, filing=filing, data=data)
    return filing


Given = dict[str, str]


def _resolver(status: str) -> Callable[[Actor, Filing, Given], Filing]:
    def resolve(actor: Actor, filing: Filing, given: Given) -> Filing:
        note = given.get(Input.EVIDENCE, "")
        return filing_resolve(actor=actor, filing=filing, status=status, note=note)

    return resolve


# Each person's move made from a button: the service that makes it, fed what the person gave.
PERFORM: dict[Action, Callable[[Actor, Filing, Given], Filing]] = {
    Action.SUBMIT: lambda actor, filing, given: filing_submit(actor=actor, filing=filing),
    Action.WITHDRAW: lambda actor, filing, given: filing_withdraw(actor=actor, filing=filing),
    Action.REQUEST_CHANGES: lambda actor, filing, given: filing_request_changes(
        actor=actor, filing=filing, comment=given.get(Input.COMMENT, "")
    ),
    Action.APPROVE: lambda actor, filing, given: filing_approve(
        actor=actor,
        filing=filing,
        seen_hash=given.get(Input.SEEN_HASH, ""),
        justification=given.get(Input.JUSTIFICATION, ""),
    ),
    Action.REWORK: lambda actor, filing, given: filing_rework(actor=actor, filing=filing),
    **{move.action: _resolver(move.target.value) for move in resolutions()},
}


def filing_move(*, actor: Actor, filing: Filing, action: Action, given: Given) -> Filing:
    """Make a person's move by its action, with what they gave (the fields its row needs)."""
    perform = PERFORM.get(action)
    if perform is None:
        raise errors.NotPermitted(str(errors.NOT_PERMITTED))
    return perform(actor, filing, given)
