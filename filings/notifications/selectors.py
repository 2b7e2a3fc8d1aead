"""Reads for the portal's pages: each a fixed number of queries."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Window

from filings.notifications.models import Notification

# Unread notices listed in the top bar's menu.
TOP_BAR_ROWS = 5


def shown_to(user_id: int) -> QuerySet[Notification]:
    """The user's notifications the portal shows, newest first."""
    return Notification.objects.filter(recipient_id=user_id, in_portal=True).order_by(
        "-created_at", "-pk"
    )


@dataclass(frozen=True)
class Unread:
    count: int
    latest: list[dict[str, Any]]


def unread_summary(user_id: int, rows: int = TOP_BAR_ROWS) -> Unread:
    """How many are unread and the newest few of them, in one query (the count is a window
    over every unread row, computed before the LIMIT)."""
    latest: list[dict[str, Any]] = [
        dict(row)
        for row in shown_to(user_id)
        .filter(read_at__isnull=True)
        .annotate(unread=Window(Count("pk")))
        .values("pk", "kind", "filing_id", "text", "created_at", "unread")[:rows]
    ]
    return Unread(count=int(latest[0]["unread"]) if latest else 0, latest=latest)
