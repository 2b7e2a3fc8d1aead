"""The audit events a service wrote, as rows a test compares with what it expects."""

import hashlib
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Max

from filings.models import AuditEvent, Filing

EVENT_FIELDS = (
    "kind",
    "actor_id",
    "actor_username",
    "target_type",
    "target_id",
    "filing_id",
    "data",
)


def head() -> int:
    """The newest event's seq (0 before the first): a test reads the events after it."""
    return int(AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0)


def events_after(seq: int) -> list[dict[str, Any]]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values(*EVENT_FIELDS))


def row(
    kind: str,
    actor: User,
    target_type: str,
    target_id: object,
    *,
    filing: Filing | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One expected event, in the shape of `events_after`."""
    return {
        "kind": kind,
        "actor_id": actor.pk,
        "actor_username": actor.username,
        "target_type": target_type,
        "target_id": str(target_id),
        "filing_id": filing.pk if filing is not None else None,
        "data": data if data is not None else {},
    }


def sha(data: bytes) -> str:
    """The SHA-256 hex digest that events and documents record of a file."""
    return hashlib.sha256(data).hexdigest()
