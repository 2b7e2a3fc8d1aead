"""Services for Volcengine's decision on a submitted filing: record it (filed or declined, with
reasons and per-number exceptions), and what a rework and a re-approval must respect."""

from collections.abc import Mapping, Sequence
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filings import audit, errors, kinds
from filings.decisions import (
    FIELD_LABELS,
    OTHER,
    needs_justification,
    reason_code,
    reasons_for,
    target_of,
)
from filings.kinds.number import (
    NUMBER_STATE_AFTER_DECISION,
    NUMBER_STATE_WHEN_REFUSED,
    STATE_AFTER_SUBMITTED,
)
from filings.models import Decision, DecisionReason, Document, Filing, PhoneNumber
from filings.services.common import Actor, person_move, transition, user_id
from filings.workflow import Action, State

NUMBER_REFUSED = reason_code("numbers", "refused")


def decline_reasons(filing: Filing) -> list[tuple[str, str, str]]:
    """(code, target, label) of every reason a decline of `filing` may give."""
    kind = kinds.kind_of(filing)
    fields = kind.decision_fields
    return [
        (reason.code, reason.target, str(reason.label))
        for reason in reasons_for(
            document_kinds=kind.document_kinds,
            sensitive_kinds=Document.SENSITIVE_KINDS,
            fields=fields,
        )
    ]


def target_label(target: str) -> str:
    """What a reason's target is called: a document kind's name, a field's, or "Other"."""
    if target in Document.Kind.values:
        return str(Document.Kind(target).label)
    return str(FIELD_LABELS.get(target, _("Other")))


def grouped_reasons(filing: Filing) -> list[tuple[str, list[tuple[str, str]]]]:
    """The reasons of `decline_reasons`, grouped under what they name, for a form's choices."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, target, label in decline_reasons(filing):
        groups.setdefault(target, []).append((code, label))
    return [(target_label(target), choices) for target, choices in groups.items()]


def _checked_reasons(
    filing: Filing, outcome: str, reasons: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    allowed = {code for code, _target, _label in decline_reasons(filing)}
    cleaned = [(code, text.strip()) for code, text in reasons]
    for code, text in cleaned:
        if code not in allowed:
            raise errors.FilingsError(str(errors.UNKNOWN_REASON).format(code=code))
        if code == OTHER and not text:
            raise errors.FilingsError(str(errors.OTHER_REASON_NEEDS_TEXT))
    if outcome == Decision.Outcome.DECLINED and not cleaned:
        raise errors.FilingsError(str(errors.DECLINE_NEEDS_REASON))
    return cleaned


def _checked_failures(filing: Filing, outcome: str, failed: Mapping[str, str]) -> dict[str, str]:
    if not failed:
        return {}
    if filing.kind != Filing.Kind.NUMBER or outcome != Decision.Outcome.FILED:
        raise errors.FilingsError(str(errors.NUMBER_EXCEPTIONS_ONLY_WHEN_FILED))
    carried = set(filing.filing_numbers.values_list("digits", flat=True))
    unknown = sorted(set(failed) - carried)
    if unknown:
        raise errors.FilingsError(
            str(errors.NUMBERS_NOT_IN_FILING).format(numbers=", ".join(unknown))
        )
    cleaned = {digits: reason.strip() for digits, reason in sorted(failed.items())}
    missing = [digits for digits, reason in cleaned.items() if not reason]
    if missing:
        raise errors.FilingsError(
            str(errors.NUMBER_EXCEPTION_NEEDS_REASON).format(numbers=", ".join(missing))
        )
    return cleaned


def _numbers_follow(filing: Filing, outcome: str, failed: Mapping[str, str]) -> dict[str, str]:
    """Move the numbers this filing sent by the decision; digits → the state each now has."""
    action = filing.number_action
    numbers = PhoneNumber.objects.select_for_update().filter(
        filing_numbers__filing=filing,
        open_filing__isnull=True,
        state=STATE_AFTER_SUBMITTED[action],  # not moved on by a later filing
    )
    after = NUMBER_STATE_AFTER_DECISION[(action, outcome)]
    refused = NUMBER_STATE_WHEN_REFUSED[action]
    states = {}
    for number in numbers.order_by("pk"):  # the lock order of number rows
        if number.digits in failed:
            number.state, number.failure_reason = refused, failed[number.digits]
        else:
            number.state, number.failure_reason = after, ""
        states[number.digits] = number.state
        number.save(update_fields=["state", "failure_reason", "updated_at"])
    return dict(sorted(states.items()))


@transaction.atomic
def filing_record_decision(
    *,
    actor: Actor,
    filing: Filing,
    outcome: str,
    decided_on: date,
    evidence: str,
    reasons: Sequence[tuple[str, str]] = (),
    failed_numbers: Mapping[str, str] | None = None,
) -> Decision:
    """Record what Volcengine decided about a submitted filing.

    `reasons`: (code, details) pairs from `decline_reasons`, at least one for a decline.
    `failed_numbers`: for a number filing that was filed, the numbers Volcengine refused, each
    with its reason; every other number of the filing follows the decision.
    """
    evidence = evidence.strip()
    if not evidence:
        raise errors.FilingsError(str(errors.NOTE_REQUIRED))
    if decided_on > timezone.localdate():
        raise errors.FilingsError(str(errors.DECISION_IN_FUTURE).format(date=decided_on))
    action = Action.RECORD_FILED if outcome == Decision.Outcome.FILED else Action.RECORD_DECLINED
    if outcome not in Decision.Outcome.values:
        raise errors.FilingsError(str(errors.UNKNOWN_DECISION).format(outcome=outcome))
    filing, _move = person_move(actor, filing.pk, action)
    checked = _checked_reasons(filing, outcome, reasons)
    failures = _checked_failures(filing, outcome, failed_numbers or {})
    move = transition(filing, action)
    decision = Decision.objects.create(
        filing=filing,
        attempt=filing.attempt,
        outcome=outcome,
        decided_on=decided_on,
        evidence=evidence,
        recorded_by_id=user_id(actor),
    )
    DecisionReason.objects.bulk_create(
        [
            DecisionReason(decision=decision, code=code, target=target_of(code), text=text)
            for code, text in checked
        ]
        + [
            DecisionReason(
                decision=decision, code=NUMBER_REFUSED, target="numbers", number=digits, text=text
            )
            for digits, text in failures.items()
        ]
    )
    states = _numbers_follow(filing, outcome, failures) if filing.kind == Filing.Kind.NUMBER else {}
    audit.record(
        actor=actor,
        kind=move.event_kind,
        target=decision,
        filing=filing,
        data={
            "outcome": outcome,
            "attempt": filing.attempt,
            "decided_on": decided_on.isoformat(),
            "evidence": evidence,
            "reasons": [{"code": code, "text": text} for code, text in checked],
            "failed_numbers": failures,
            "numbers": states,
        },
    )
    return decision


def latest_decision(filing: Filing) -> Decision | None:
    return filing.decisions.order_by("-recorded_at", "-pk").first()


def justification_needed(filing: Filing) -> bool:
    """Is `filing` a rework whose approval comes within the cooldown of its decline?"""
    decision = latest_decision(filing)
    return (
        decision is not None
        and decision.outcome == Decision.Outcome.DECLINED
        and decision.attempt < filing.attempt
        and needs_justification(
            decision.recorded_at, timezone.now(), settings.PORTAL_RESUBMIT_COOLDOWN_HOURS
        )
    )


def open_reasons(filing: Filing) -> dict[str, list[tuple[str, str]]]:
    """The reasons of the decline a rework answers, by what they name (a document kind, a field,
    "numbers", or "" for the others): target → [(label, details)]. Empty unless the filing is a
    draft reworked after Volcengine declined it."""
    if filing.status != State.DRAFT:
        return {}
    decision = latest_decision(filing)
    if (
        decision is None
        or decision.outcome != Decision.Outcome.DECLINED
        or decision.attempt >= filing.attempt
    ):
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for target, label, text in labelled_reasons(filing, decision):
        found.setdefault(target, []).append((label, text))
    return found


def labelled_reasons(filing: Filing, decision: Decision) -> list[tuple[str, str, str]]:
    """(target, label, details) of each reason of `decision`, in the order they were given."""
    labels = {code: label for code, _target, label in decline_reasons(filing)}
    found = []
    for reason in decision.reasons.all():
        label = labels.get(reason.code, reason.code)
        if reason.number:
            label = f"{reason.number}: {label}"
        found.append((reason.target, label, reason.text))
    return found


def reason_labels(filing: Filing, decision: Decision | None) -> list[tuple[str, str]]:
    """(label, details) of each reason of `decision` (none for None)."""
    if decision is None:
        return []
    return [(label, text) for _target, label, text in labelled_reasons(filing, decision)]


def reason_text(label: str, details: str) -> str:
    """One reason as a line: its label, and the details when there are any."""
    return f"{label} ({details})" if details else label
