"""The audit trail: append one hash-chained event per change, and verify the chain."""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from filings.models import AuditChainHead, AuditEvent, Filing

GENESIS_HASH = "0" * 64
HEAD_PK = 1


def canonical_bytes(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_username: str,
    kind: str,
    target_type: str,
    target_id: str,
    filing_id: int | None,
    data: Any,
) -> bytes:
    """The exact bytes an event's hash covers (prev_hash is appended by `event_hash`)."""
    document = {
        "seq": seq,
        "created_at": created_at.astimezone(UTC).isoformat(),
        "actor_id": actor_id,
        "actor_username": actor_username,
        "kind": kind,
        "target_type": target_type,
        "target_id": target_id,
        "filing_id": filing_id,
        "data": data,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(canonical: bytes, prev_hash: str) -> str:
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, canonical + prev_hash.encode(), hashlib.sha256).hexdigest()


def _json_safe(data: dict[str, Any]) -> Any:
    # What the JSON column gives back must be exactly what was hashed.
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    kind: str,
    target: models.Model,
    data: dict[str, Any] | None = None,
    filing: Filing | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records.

    Appending locks the chain head row until that transaction ends. Every transaction takes its
    row locks in one order, so none waits for another in a cycle (on PostgreSQL, a deadlock):

    1. the filing rows it changes, by primary key (services.common.lock_filing, lock_filings);
    2. then the company row;
    3. then the audit chain head, here: record events only after the rows are locked.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change.")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=HEAD_PK)
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_username = actor.get_username() if actor is not None and actor.is_authenticated else ""
    fields = {
        "seq": head.seq + 1,
        "created_at": timezone.now(),
        "actor_id": actor_id,
        "actor_username": actor_username,
        "kind": kind,
        "target_type": target._meta.model_name or "",
        "target_id": str(target.pk),
        "filing_id": filing.pk if filing is not None else None,
        "data": _json_safe(data or {}),
    }
    digest = event_hash(canonical_bytes(**fields), head.hash or GENESIS_HASH)
    event = AuditEvent.objects.create(**fields, prev_hash=head.hash or GENESIS_HASH, hash=digest)
    AuditChainHead.objects.filter(pk=HEAD_PK).update(seq=event.seq, hash=digest)
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    reason: str = ""


# Every column of an event, in chain order: what verification reads and exports write.
EVENT_FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_username",
    "kind",
    "target_type",
    "target_id",
    "filing_id",
    "data",
    "prev_hash",
    "hash",
)


def _rows(chunk_size: int, after_seq: int) -> Iterator[tuple[Any, ...]]:
    events = AuditEvent.objects.filter(seq__gt=after_seq) if after_seq else AuditEvent.objects
    return events.order_by("seq").values_list(*EVENT_FIELDS).iterator(chunk_size)


def verify_chain(
    *, chunk_size: int = 2000, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> ChainReport:
    """Walk the chain in order with constant memory; stop at the first broken event.

    With `after_seq` and `after_hash` (a trusted anchor) only the events after it are walked,
    linked to that hash; `count` is then the number of events walked.
    """
    expected_seq = after_seq + 1
    prev_hash = after_hash
    count = 0
    for row in _rows(chunk_size, after_seq):
        seq, *content, stored_prev, stored_hash = row
        fields = dict(zip(EVENT_FIELDS[1:9], content, strict=True))
        if seq != expected_seq:
            reason = "gap: events missing before it" if seq > expected_seq else "out of order"
            return ChainReport(False, count, seq, stored_hash, seq, reason)
        if stored_prev != prev_hash:
            return ChainReport(
                False,
                count,
                seq,
                stored_hash,
                seq,
                "broken link: prev_hash does not match the previous event "
                "(deleted, inserted or reordered)",
            )
        if event_hash(canonical_bytes(seq=seq, **fields), prev_hash) != stored_hash:
            return ChainReport(
                False, count, seq, stored_hash, seq, "hash mismatch: the event was altered"
            )
        prev_hash = stored_hash
        expected_seq += 1
        count += 1
    last = expected_seq - 1
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is not None and head.seq < last:
        return ChainReport(
            False,
            count,
            last,
            prev_hash,
            head.seq + 1,
            f"beyond the chain head: the head says #{head.seq}, but events go on to #{last} "
            "(written outside audit.record)",
        )
    if head is not None and head.seq != last:
        return ChainReport(
            False,
            count,
            last,
            prev_hash,
            last + 1,
            f"tail missing: the chain head says #{head.seq}, the last event is #{last}",
        )
    if head is not None and last and head.hash != prev_hash:
        return ChainReport(False, count, last, prev_hash, last, "the chain head's hash differs")
    return ChainReport(True, count, last, prev_hash)
