"""Verifying the chain: walk the events in order with constant memory, stop at the first break."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from filings.audit.chain import GENESIS_HASH, HEAD_PK, canonical_bytes, chain_hasher
from filings.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    reason: str = ""


# Every column of an event, in chain order: what verification reads (and unpacks in this order)
# and exports write.
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
    digest = chain_hasher()  # the key read once per walk, not once per event
    for (
        seq,
        created_at,
        actor_id,
        actor_username,
        kind,
        target_type,
        target_id,
        filing_id,
        data,
        stored_prev,
        stored_hash,
    ) in _rows(chunk_size, after_seq):
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
        canonical = canonical_bytes(
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            actor_username=actor_username,
            kind=kind,
            target_type=target_type,
            target_id=target_id,
            filing_id=filing_id,
            data=data,
        )
        if digest(canonical, prev_hash) != stored_hash:
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
