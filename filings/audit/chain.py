"""Appending to the chain: one hash-chained event per change, inside that change's transaction."""

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from filings.models import AuditChainHead, AuditEvent, Filing
from filings.notifications.rules import rules_for

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


def chain_hasher() -> Callable[[bytes, str], str]:
    """`event_hash` with the chain key read once, for walks over many events."""
    key = settings.AUDIT_CHAIN_KEY.encode()
    new, sha256 = hmac.new, hashlib.sha256

    def digest(canonical: bytes, prev_hash: str) -> str:
        return new(key, canonical + prev_hash.encode(), sha256).hexdigest()

    return digest


def event_hash(canonical: bytes, prev_hash: str) -> str:
    return chain_hasher()(canonical, prev_hash)


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

    0. a bulk run's rows (filings.bulk) or an import's row (filings.imports), when one of them
       makes the change;
    1. the filing rows it changes, by primary key (services.common.lock_filing, lock_filings);
    2. then the company row;
    3. then the number rows (services.numbers);
    4. then the audit chain head, here: record events only after the rows are locked.
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
    if rules_for(kind, event.data):
        # Told only once the change has committed, by the task worker; robust: a queue that
        # cannot be written is logged and never fails a change that is already committed.
        transaction.on_commit(partial(_notify, event.seq), robust=True)
    return event


def _notify(seq: int) -> None:
    # Imported here: the tasks read filings.selectors, which imports this package.
    from filings.notifications.tasks import notify_event

    notify_event.enqueue(seq)
