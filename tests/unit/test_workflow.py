"""The filing state machine (filings.workflow) against the product's diagram. Pure: no database.

The expected edges are written out here by hand from the state diagram (README, "Filing
states"), not derived from `workflow.TRANSITIONS`, so a wrong row in the table fails a test.
"""

import itertools

import pytest

from filings.models import Filing
from filings.workflow import (
    EDITABLE_STATES,
    TRANSITIONS,
    Action,
    State,
    TransitionNotAllowed,
    allowed_actions,
    check_transition,
)

D, R, A = State.DRAFT, State.IN_REVIEW, State.APPROVED
S, OK, NO, U = State.SENDING, State.SUBMITTED, State.REJECTED, State.UNKNOWN
F, X = State.FILED, State.DECLINED

# (action, source) -> (target, event kind), one line per arrow of the diagram.
EXPECTED: dict[tuple[Action, State], tuple[State, str]] = {
    # DRAFT ──submit──▶ IN_REVIEW
    (Action.SUBMIT, D): (R, "filing.submitted"),
    # a preparer may withdraw a filing from review (roles table)
    (Action.WITHDRAW, R): (D, "filing.withdrawn"),
    # IN_REVIEW ──request changes──▶ DRAFT
    (Action.REQUEST_CHANGES, R): (D, "filing.changes_requested"),
    # IN_REVIEW ──approve──▶ APPROVED
    (Action.APPROVE, R): (A, "filing.approved"),
    # APPROVED ── any edit ──▶ DRAFT (approval voided, with an event)
    (Action.VOID_APPROVAL, A): (D, "filing.approval_voided"),
    # APPROVED ──send──▶ SENDING
    (Action.START_SENDING, A): (S, "submission.sent"),
    # SENDING ──▶ SUBMITTED | REJECTED | APPROVED (nothing left) | UNKNOWN
    (Action.RECORD_ACCEPTED, S): (OK, "submission.response"),
    (Action.RECORD_REJECTED, S): (NO, "submission.response"),
    (Action.RECORD_NOT_SENT, S): (A, "submission.response"),
    (Action.RECORD_UNKNOWN, S): (U, "submission.response"),
    # UNKNOWN ──resolve (with evidence)──▶ SUBMITTED | REJECTED | APPROVED
    (Action.RESOLVE_SUBMITTED, U): (OK, "filing.resolved"),
    (Action.RESOLVE_REJECTED, U): (NO, "filing.resolved"),
    (Action.RESOLVE_NOT_SENT, U): (A, "filing.resolved"),
    # rework (REJECTED → DRAFT)
    (Action.REWORK, NO): (D, "filing.reworked"),
    # SUBMITTED ──decision──▶ FILED | DECLINED (Volcengine said no, with reasons)
    (Action.RECORD_FILED, OK): (F, "filing.decided"),
    (Action.RECORD_DECLINED, OK): (X, "filing.decided"),
    # a declined filing is reworked as the next attempt (DECLINED → DRAFT)
    (Action.REWORK, X): (D, "filing.reworked"),
}

# The arrows of the diagram as bare (source, target) pairs, ignoring which action draws them.
DIAGRAM_EDGES = {
    (D, R),
    (R, D),
    (R, A),
    (A, D),
    (A, S),
    (S, OK),
    (S, NO),
    (S, A),
    (S, U),
    (U, OK),
    (U, NO),
    (U, A),
    (NO, D),
    (OK, F),
    (OK, X),
    (X, D),
}

ALL_PAIRS = list(itertools.product(Action, State))
ALLOWED = [pair for pair in ALL_PAIRS if pair in EXPECTED]
REFUSED = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def _id(pair: tuple[Action, State]) -> str:
    return f"{pair[0].value}@{pair[1].value}"


def test_the_states_are_the_nine_of_the_design_and_match_the_model() -> None:
    assert {s.value for s in State} == {
        "DRAFT",
        "IN_REVIEW",
        "APPROVED",
        "SENDING",
        "SUBMITTED",
        "REJECTED",
        "UNKNOWN",
        "FILED",
        "DECLINED",
    }
    assert {s.value for s in State} == set(Filing.Status.values)


def test_every_pair_is_covered_exactly_once() -> None:
    assert len(ALLOWED) == 17
    assert len(ALLOWED) + len(REFUSED) == len(Action) * len(State) == 16 * 9


@pytest.mark.parametrize("pair", ALLOWED, ids=_id)
def test_an_allowed_move_gives_the_designed_target_and_event(pair: tuple[Action, State]) -> None:
    action, source = pair
    target, kind = EXPECTED[pair]

    move = check_transition(action, source)

    assert (move.action, move.source, move.target, move.event_kind) == (
        action,
        source,
        target,
        kind,
    )


@pytest.mark.parametrize("pair", ALLOWED, ids=_id)
def test_the_source_may_be_given_as_the_stored_string(pair: tuple[Action, State]) -> None:
    action, source = pair
    assert check_transition(action, source.value).target == EXPECTED[pair][0]


@pytest.mark.parametrize("pair", REFUSED, ids=_id)
def test_every_other_move_is_refused(pair: tuple[Action, State]) -> None:
    action, source = pair

    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(action, source)

    assert caught.value.action is action
    assert caught.value.source is source
    assert source.value in str(caught.value)
    assert action.value.replace("_", " ") in str(caught.value)


def test_refused_for_a_string_source_too() -> None:
    with pytest.raises(TransitionNotAllowed):
        check_transition(Action.APPROVE, "DRAFT")


def test_an_unknown_state_is_an_error_not_a_move() -> None:
    with pytest.raises(ValueError, match="BOGUS"):
        check_transition(Action.SUBMIT, "BOGUS")
    with pytest.raises(ValueError, match="BOGUS"):
        allowed_actions("BOGUS")


def test_the_table_has_exactly_the_designed_rows() -> None:
    table = {(t.action, t.source): (t.target, t.event_kind) for t in TRANSITIONS}
    assert len(table) == len(TRANSITIONS), "an (action, source) pair appears twice"
    assert table == EXPECTED


def test_the_table_draws_exactly_the_arrows_of_the_diagram() -> None:
    assert {(t.source, t.target) for t in TRANSITIONS} == DIAGRAM_EDGES


def test_terminal_and_sending_states() -> None:
    # FILED is final; SUBMITTED waits for Volcengine's decision; SENDING only ends by recording
    # an outcome; UNKNOWN is never resent.
    assert allowed_actions(F) == []
    assert set(allowed_actions(OK)) == {Action.RECORD_FILED, Action.RECORD_DECLINED}
    assert Action.START_SENDING not in allowed_actions(U)
    assert {check_transition(a, S).target for a in allowed_actions(S)} == {OK, NO, A, U}


@pytest.mark.parametrize(
    ("state", "actions"),
    [
        (D, {Action.SUBMIT}),
        (R, {Action.WITHDRAW, Action.REQUEST_CHANGES, Action.APPROVE}),
        (A, {Action.VOID_APPROVAL, Action.START_SENDING}),
        (
            S,
            {
                Action.RECORD_ACCEPTED,
                Action.RECORD_REJECTED,
                Action.RECORD_NOT_SENT,
                Action.RECORD_UNKNOWN,
            },
        ),
        (OK, {Action.RECORD_FILED, Action.RECORD_DECLINED}),
        (F, set()),
        (X, {Action.REWORK}),
        (NO, {Action.REWORK}),
        (U, {Action.RESOLVE_SUBMITTED, Action.RESOLVE_REJECTED, Action.RESOLVE_NOT_SENT}),
    ],
    ids=lambda value: value.value if isinstance(value, State) else "",
)
def test_allowed_actions(state: State, actions: set[Action]) -> None:
    listed = allowed_actions(state)
    assert len(listed) == len(set(listed))
    assert set(listed) == actions
    assert set(allowed_actions(state.value)) == actions
    for action in listed:
        check_transition(action, state)  # does not raise


def test_allowed_actions_agrees_with_check_transition_everywhere() -> None:
    for action, state in ALL_PAIRS:
        try:
            check_transition(action, state)
            allowed = True
        except TransitionNotAllowed:
            allowed = False
        assert allowed == (action in allowed_actions(state)), (action, state)


def test_only_drafts_and_approved_filings_are_editable() -> None:
    # Content is edited in a draft; an edit of an approved filing voids the approval.
    assert frozenset({D, A}) == EDITABLE_STATES
