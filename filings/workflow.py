"""Pure: the workflow policy, one table of moves, and the checks that read it. No ORM.

Every move a filing can make is one row: from, to, the action, the permission it needs,
whether four-eyes applies, its button, confirmation and success texts, and what a person must
give with it. Services make moves through the table; the admin builds its buttons, its action
view and its forms from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models.enums import TextChoices
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class State(TextChoices):
    """Every state a filing can be in: the one list, also the model field's choices."""

    DRAFT = "DRAFT", _("Draft")
    IN_REVIEW = "IN_REVIEW", _("In review")
    APPROVED = "APPROVED", _("Approved")
    SENDING = "SENDING", _("Sending")
    SUBMITTED = "SUBMITTED", _("Submitted")
    REJECTED = "REJECTED", _("Rejected")
    UNKNOWN = "UNKNOWN", _("Outcome unknown")
    FILED = "FILED", _("Filed")
    DECLINED = "DECLINED", _("Declined")


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    REQUEST_CHANGES = "request_changes"
    APPROVE = "approve"
    VOID_APPROVAL = "void_approval"
    START_SENDING = "start_sending"
    RECORD_ACCEPTED = "record_accepted"
    RECORD_REJECTED = "record_rejected"
    RECORD_NOT_SENT = "record_not_sent"
    RECORD_UNKNOWN = "record_unknown"
    RESOLVE_SUBMITTED = "resolve_submitted"
    RESOLVE_REJECTED = "resolve_rejected"
    RESOLVE_NOT_SENT = "resolve_not_sent"
    REWORK = "rework"
    RECORD_FILED = "record_filed"
    RECORD_DECLINED = "record_declined"


class Input(StrEnum):
    """What a person gives with a move, besides pressing its button."""

    COMMENT = "comment"  # what must change, for the preparer
    EVIDENCE = "note"  # what shows the outcome: a ticket, a message
    SEEN_HASH = "content_hash"  # the content hash of the page the reviewer approved from
    JUSTIFICATION = "justification"  # why a rework may go out again so soon after a decline


REVIEW = "filings.review_filing"
EDIT = "filings.change_filing"
SEND = "filings.send_filing"


@dataclass(frozen=True)
class Transition:
    """One row of the policy: a move from one state to another and who may make it how.

    `permission` None: the portal makes the move itself (a send's outcome, an edit voiding an
    approval), so it has no button. `page`: the move starts on a page of its own (the send
    confirmation) instead of a button that acts at once.
    """

    action: Action
    source: State
    target: State
    event_kind: str
    permission: str | None = None
    four_eyes: bool = False
    label: StrOrPromise = ""
    confirm: StrOrPromise = ""
    done: StrOrPromise = ""
    needs: frozenset[Input] = frozenset()
    page: str = ""

    @property
    def by_person(self) -> bool:
        return self.permission is not None


Move = Transition

RESOLVED = _("Outcome recorded.")
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Action.SUBMIT,
        State.DRAFT,
        State.IN_REVIEW,
        "filing.submitted",
        EDIT,
        label=_("Submit for review"),
        done=_("Submitted for review."),
    ),
    Transition(
        Action.WITHDRAW,
        State.IN_REVIEW,
        State.DRAFT,
        "filing.withdrawn",
        EDIT,
        label=_("Withdraw from review"),
        confirm=_("Withdraw this filing from review? It becomes a draft again."),
        done=_("Withdrawn: the filing is a draft again."),
    ),
    Transition(
        Action.REQUEST_CHANGES,
        State.IN_REVIEW,
        State.DRAFT,
        "filing.changes_requested",
        REVIEW,
        label=_("Request changes"),
        done=_("Changes requested: the preparer sees your comment."),
        needs=frozenset({Input.COMMENT}),
    ),
    Transition(
        Action.APPROVE,
        State.IN_REVIEW,
        State.APPROVED,
        "filing.approved",
        REVIEW,
        four_eyes=True,
        label=_("Approve"),
        confirm=_("Approve exactly what this page shows? It can then be sent to Volcengine."),
        done=_("Approved. It can now be sent to Volcengine."),
        needs=frozenset({Input.SEEN_HASH, Input.JUSTIFICATION}),
    ),
    Transition(Action.VOID_APPROVAL, State.APPROVED, State.DRAFT, "filing.approval_voided"),
    Transition(
        Action.START_SENDING,
        State.APPROVED,
        State.SENDING,
        "submission.sent",
        SEND,
        label=_("Send to Volcengine"),
        confirm=_("Send this filing to Volcengine now? This cannot be undone."),
        page="admin:filings_filing_send",
    ),
    Transition(Action.RECORD_ACCEPTED, State.SENDING, State.SUBMITTED, "submission.response"),
    Transition(Action.RECORD_REJECTED, State.SENDING, State.REJECTED, "submission.response"),
    Transition(Action.RECORD_NOT_SENT, State.SENDING, State.APPROVED, "submission.response"),
    Transition(Action.RECORD_UNKNOWN, State.SENDING, State.UNKNOWN, "submission.response"),
    Transition(
        Action.RESOLVE_SUBMITTED,
        State.UNKNOWN,
        State.SUBMITTED,
        "filing.resolved",
        REVIEW,
        label=_("Volcengine received it"),
        done=RESOLVED,
        needs=frozenset({Input.EVIDENCE}),
    ),
    Transition(
        Action.RESOLVE_REJECTED,
        State.UNKNOWN,
        State.REJECTED,
        "filing.resolved",
        REVIEW,
        label=_("Volcengine refused it"),
        done=RESOLVED,
        needs=frozenset({Input.EVIDENCE}),
    ),
    Transition(
        Action.RESOLVE_NOT_SENT,
        State.UNKNOWN,
        State.APPROVED,
        "filing.resolved",
        REVIEW,
        label=_("It never arrived: ready to send again"),
        done=RESOLVED,
        needs=frozenset({Input.EVIDENCE}),
    ),
    Transition(
        Action.REWORK,
        State.REJECTED,
        State.DRAFT,
        "filing.reworked",
        EDIT,
        label=_("Rework as a draft"),
        done=_("The filing is a draft again: fix it and submit it for review."),
    ),
    Transition(
        Action.RECORD_FILED,
        State.SUBMITTED,
        State.FILED,
        "filing.decided",
        REVIEW,
        label=_("Record Volcengine's decision"),
        page="admin:filings_filing_decision",
    ),
    Transition(
        Action.RECORD_DECLINED,
        State.SUBMITTED,
        State.DECLINED,
        "filing.decided",
        REVIEW,
        label=_("Record Volcengine's decision"),
        page="admin:filings_filing_decision",
    ),
    Transition(
        Action.REWORK,
        State.DECLINED,
        State.DRAFT,
        "filing.reworked",
        EDIT,
        label=_("Rework as a new attempt"),
        confirm=_(
            "Start the next attempt? The filing becomes a draft that shows Volcengine's reasons."
        ),
        done=_("The next attempt is a draft: fix what Volcengine's reasons name and submit it."),
    ),
)

# Volcengine received these and they are not sent again (a decline may still come for SUBMITTED).
SENT_STATES = frozenset({State.SUBMITTED, State.FILED})
# Volcengine received these: what they sent has had its effect (numbers moved on), even declined.
RECEIVED_STATES = SENT_STATES | {State.DECLINED}

# Volcengine may fetch a filing's document URLs only while it is being sent or after it was sent.
DOCUMENTS_FETCHABLE_STATES = frozenset({State.SENDING, State.SUBMITTED, State.UNKNOWN})

# Content can be edited only in a draft; an approved filing may be edited, which voids approval.
EDITABLE_STATES = frozenset({State.DRAFT, State.APPROVED})


class TransitionNotAllowed(Exception):
    def __init__(self, action: Action, source: State) -> None:
        super().__init__(
            f"Cannot {action.value.replace('_', ' ')} a filing that is {source.value}."
        )
        self.action = action
        self.source = source


def check_transition(action: Action, source: State | str) -> Transition:
    """Return the transition `action` makes from `source`, or raise TransitionNotAllowed."""
    state = State(source)
    for move in TRANSITIONS:
        if move.action == action and move.source == state:
            return move
    raise TransitionNotAllowed(action, state)


def allowed_actions(source: State | str) -> list[Action]:
    state = State(source)
    return [t.action for t in TRANSITIONS if t.source == state]


def moves_from(source: State | str) -> list[Transition]:
    state = State(source)
    return [t for t in TRANSITIONS if t.source == state]


def permission_for(action: Action) -> str | None:
    """The permission an action needs, whatever state it starts from."""
    return next(t.permission for t in TRANSITIONS if t.action == action)


def buttons(source: State | str, has_perm: Callable[[str], bool]) -> list[Transition]:
    """The moves a person holding the permissions `has_perm` admits may make from `source`."""
    return [t for t in moves_from(source) if t.permission is not None and has_perm(t.permission)]


def button_groups(moves: Iterable[Transition]) -> list[list[Transition]]:
    """Moves that ask for the same input share one form (one evidence box, several answers)."""
    groups: dict[object, list[Transition]] = {}
    for move in moves:
        if move.page:  # one link per page, whichever of its moves the page then makes
            groups.setdefault(move.page, [move])
            continue
        groups.setdefault(move.needs or move.action, []).append(move)
    return list(groups.values())


def resolutions() -> list[Transition]:
    """The ways an unknown outcome is settled with evidence."""
    return [t for t in moves_from(State.UNKNOWN) if Input.EVIDENCE in t.needs]
