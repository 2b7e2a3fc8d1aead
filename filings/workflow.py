"""Pure: the filing state machine of DESIGN.md as data, and the check of one move. No ORM."""

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    APPROVED = "APPROVED"
    SENDING = "SENDING"
    SUBMITTED = "SUBMITTED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"


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


@dataclass(frozen=True)
class Transition:
    action: Action
    source: State
    target: State
    event_kind: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.SUBMIT, State.DRAFT, State.IN_REVIEW, "filing.submitted"),
    Transition(Action.WITHDRAW, State.IN_REVIEW, State.DRAFT, "filing.withdrawn"),
    Transition(Action.REQUEST_CHANGES, State.IN_REVIEW, State.DRAFT, "filing.changes_requested"),
    Transition(Action.APPROVE, State.IN_REVIEW, State.APPROVED, "filing.approved"),
    Transition(Action.VOID_APPROVAL, State.APPROVED, State.DRAFT, "filing.approval_voided"),
    Transition(Action.START_SENDING, State.APPROVED, State.SENDING, "submission.sent"),
    Transition(Action.RECORD_ACCEPTED, State.SENDING, State.SUBMITTED, "submission.response"),
    Transition(Action.RECORD_REJECTED, State.SENDING, State.REJECTED, "submission.response"),
    Transition(Action.RECORD_NOT_SENT, State.SENDING, State.APPROVED, "submission.response"),
    Transition(Action.RECORD_UNKNOWN, State.SENDING, State.UNKNOWN, "submission.response"),
    Transition(Action.RESOLVE_SUBMITTED, State.UNKNOWN, State.SUBMITTED, "filing.resolved"),
    Transition(Action.RESOLVE_REJECTED, State.UNKNOWN, State.REJECTED, "filing.resolved"),
    Transition(Action.RESOLVE_NOT_SENT, State.UNKNOWN, State.APPROVED, "filing.resolved"),
    Transition(Action.REWORK, State.REJECTED, State.DRAFT, "filing.reworked"),
)

_BY_KEY: dict[tuple[Action, State], Transition] = {(t.action, t.source): t for t in TRANSITIONS}

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
    try:
        return _BY_KEY[(action, state)]
    except KeyError:
        raise TransitionNotAllowed(action, state) from None


def allowed_actions(source: State | str) -> list[Action]:
    state = State(source)
    return [t.action for t in TRANSITIONS if t.source == state]
