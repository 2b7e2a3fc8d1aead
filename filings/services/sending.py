"""Send an approved filing exactly once and record what happened.

APPROVED→SENDING is a compare-and-set in its own transaction; the HTTP call runs outside any
transaction; the outcome is written in a second transaction. Both transactions are durable: they
refuse to run inside an outer one, whose rollback could undo a send that did happen. Two clicks,
two reviewers or two servers can never send the same approval twice, UNKNOWN is never resent
automatically, and every answer is kept, even one that arrives after the filing left SENDING.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from filings import audit, errors, kinds
from filings.content import content_hash, current_documents
from filings.kinds import Check
from filings.models import Filing, Submission
from filings.preflight import require_passed, sending_checks
from filings.services.common import (
    Actor,
    lock_filing,
    lock_filings,
    require_perm,
    transition,
    user_id,
)
from filings.services.numbers import numbers_after_move
from filings.storage import fetch_url
from filings.volc import client
from filings.volc.classify import Outcome
from filings.volc.config import credentials
from filings.volc.payload import encode_body
from filings.volc.signing import Credentials
from filings.workflow import SEND, Action, State

OUTCOME_ACTIONS = {
    Outcome.ACCEPTED: Action.RECORD_ACCEPTED,
    Outcome.REJECTED: Action.RECORD_REJECTED,
    Outcome.NOT_SENT: Action.RECORD_NOT_SENT,
    Outcome.UNKNOWN: Action.RECORD_UNKNOWN,
}


@dataclass(frozen=True)
class Destination:
    """Where a send goes and with which keys and limits: the configured endpoint by default."""

    target: client.Target
    credentials: Credentials
    connect_timeout: float
    read_timeout: float
    max_response_bytes: int

    @classmethod
    def configured(cls) -> "Destination":
        return cls(
            target=client.Target(endpoint=settings.VOLC_VMS_ENDPOINT, region=settings.VOLC_REGION),
            credentials=credentials(),
            connect_timeout=settings.VOLC_CONNECT_TIMEOUT,
            read_timeout=settings.VOLC_READ_TIMEOUT,
            max_response_bytes=settings.VOLC_RESPONSE_MAX_BYTES,
        )


@dataclass(frozen=True)
class PreparedSend:
    """What the confirmation page shows and what will be sent: the Action and body, made once."""

    filing: Filing
    action: str
    body: bytes
    destination: Destination
    signed_headers: list[str]
    content_hash: str

    @property
    def body_text(self) -> str:
        return self.body.decode()

    @property
    def target(self) -> client.Target:
        return self.destination.target

    @property
    def url(self) -> str:
        return self.destination.target.url(self.action)


def prepare_send(
    filing: Filing, checks: list[Check] | None = None, destination: Destination | None = None
) -> PreparedSend:
    """Build the exact body of the filing's kind (fresh document URLs) after the pre-flight
    checks pass.

    `checks`: the sending checks a page already made of this filing, so they run once.
    """
    if filing.status != State.APPROVED:
        raise errors.StaleState(str(errors.NOT_APPROVED).format(status=filing.get_status_display()))
    # The documents are read once: the checks, the hash and the body all use them.
    present = current_documents(filing)
    require_passed(checks if checks is not None else sending_checks(filing, present))
    digest = content_hash(filing, present)
    if digest != filing.approved_hash:
        raise errors.FilingsError(str(errors.CONTENT_CHANGED))
    kind = kinds.kind_of(filing)
    urls = {name: fetch_url(document) for name, document in present.items()}
    body = encode_body(kind.body(filing, present, urls))
    where = destination or Destination.configured()
    headers = client.signed_header_names(where.target, kind.api_action, body)
    return PreparedSend(filing, kind.api_action, body, where, headers, digest)


@transaction.atomic(durable=True)
def filing_start_sending(
    actor: Actor, filing_id: int, destination: Destination | None = None
) -> PreparedSend:
    """APPROVED → SENDING as a compare-and-set of its own: the first half of `filing_send`.

    A process that dies after this leaves the filing SENDING for `reconcile_sending`.
    """
    filing = lock_filing(filing_id)
    prepared = prepare_send(filing, destination=destination)
    move = transition(filing, Action.START_SENDING, sending_started_at=timezone.now())
    audit.record(
        actor=actor,
        kind=move.event_kind,
        target=filing,
        filing=filing,
        data={
            "content_hash": prepared.content_hash,
            "action": prepared.action,
            "endpoint": prepared.target.endpoint,
            "region": prepared.target.region,
            "body_sha256": hashlib.sha256(prepared.body).hexdigest(),
        },
    )
    return prepared


def _submission_fields(result: client.SendResult) -> dict[str, Any]:
    verdict = result.classification
    return {
        "endpoint": result.endpoint,
        "region": result.region,
        "request_body": result.body.decode(),
        "request_headers": result.request_headers,
        "request_sha256": result.request_sha256,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "duration_ms": result.duration_ms,
        "http_status": result.http_status,
        "response_body": result.response_text,
        "response_truncated": result.response_truncated,
        "provider_request_id": verdict.provider_request_id[:128],
        "error_code": verdict.error_code[:100],
        "error_code_n": verdict.error_code_n,
        "error_message": verdict.error_message,
        "result_code": verdict.result_code[:32],
        "result_message": verdict.result_message,
        "result_request_id": verdict.result_request_id[:128],
        "transport_error": result.transport_error,
        "outcome": verdict.outcome.value,
        "retryable": verdict.retryable,
    }


# The event of an answer that came after its filing left the send's SENDING state.
LATE_RESPONSE = "submission.late_response"


@transaction.atomic(durable=True)
def submission_record(
    *, actor: Actor, filing: Filing, result: client.SendResult, content_hash: str
) -> Submission:
    """Write the Submission, then move the send's SENDING to the state its outcome implies.

    `filing` is the one filing_start_sending returned: its `sending_started_at` names this send. If
    the filing is no longer in this send's SENDING (the reconciler took a slow send for a dead
    one, or a later send has started), the Submission is still written, with a late-response
    event, and the state is left for a reviewer to resolve.
    """
    started_at = filing.sending_started_at
    filing = lock_filing(filing.pk)
    submission = Submission.objects.create(
        filing=filing,
        actor_id=user_id(actor),
        content_hash=content_hash,
        **_submission_fields(result),
    )
    verdict = result.classification
    data = {
        "outcome": verdict.outcome.value,
        "http_status": result.http_status,
        "request_id": verdict.provider_request_id,
        "error_code": verdict.error_code,
        "result_code": verdict.result_code,
        "message": verdict.error_message or verdict.result_message or result.transport_error,
        "retryable": verdict.retryable,
    }
    if filing.status != State.SENDING or filing.sending_started_at != started_at:
        audit.record(
            actor=actor,
            kind=LATE_RESPONSE,
            target=submission,
            filing=filing,
            data={**data, "status": str(filing.status)},
        )
        return submission
    # Accepted: the filing waits on Volcengine's decision since the accepted send started.
    since = {"state_since": submission.started_at} if verdict.outcome == Outcome.ACCEPTED else {}
    move = transition(filing, OUTCOME_ACTIONS[verdict.outcome], sending_started_at=None, **since)
    numbers_after_move(actor, filing, move)
    audit.record(
        actor=actor,
        kind=move.event_kind,
        target=submission,
        filing=filing,
        data={**data, "status": move.target.value},
    )
    return submission


def transmit(prepared: PreparedSend) -> client.SendResult:
    """The HTTP call, outside any transaction, to the prepared destination within its limits."""
    where = prepared.destination
    return client.send_action(
        prepared.action,
        prepared.body,
        target=where.target,
        credentials=where.credentials,
        connect_timeout=where.connect_timeout,
        read_timeout=where.read_timeout,
        max_response_bytes=where.max_response_bytes,
    )


def filing_send(
    *, actor: Actor, filing: Filing, destination: Destination | None = None
) -> Submission:
    """Send an approved filing to Volcengine once; returns the recorded Submission.

    `destination`: another endpoint than the configured one (the demo's own sandbox).
    """
    require_perm(actor, SEND)
    prepared = filing_start_sending(actor, filing.pk, destination)
    result = transmit(prepared)
    return submission_record(
        actor=actor, filing=prepared.filing, result=result, content_hash=prepared.content_hash
    )


@transaction.atomic
def reconcile_sending(*, actor: Actor, older_than: timedelta) -> list[int]:
    """Move filings stuck in SENDING (the process died mid-send) to UNKNOWN for a reviewer."""
    require_perm(actor, SEND)
    cutoff = timezone.now() - older_than
    moved = []
    stale = Filing.objects.filter(status=State.SENDING, sending_started_at__lt=cutoff)
    for filing in lock_filings(stale):
        move = transition(filing, Action.RECORD_UNKNOWN, sending_started_at=None)
        audit.record(
            actor=actor,
            kind="filing.reconciled",
            target=filing,
            filing=filing,
            data={"status": move.target.value, "reason": "stuck in SENDING; outcome unknown"},
        )
        moved.append(filing.pk)
    return moved
