"""Reads of bulk runs: who may follow a run, and its progress (a fixed number of queries)."""

from collections import Counter
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from filings.bulk.models import BulkItem, BulkRun

Item = BulkItem.State


def may_follow(user: User | AnonymousUser, run: BulkRun) -> bool:
    """Whoever started the run, or may make its move themselves, may watch and cancel it."""
    return user.is_authenticated and (user.pk == run.actor_id or user.has_perm(run.permission))


def run_progress(run: BulkRun) -> dict[str, Any]:
    """The run's state, its counts and each item's result, as the progress page shows them."""
    items = list(run.items.select_related("filing__company").order_by("position"))
    counts = Counter(item.state for item in items)
    remaining = counts[Item.PENDING] + counts[Item.WORKING]
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": str(run.get_state_display()),
        "finished": run.finished_at is not None,
        "total": len(items),
        "handled": len(items) - remaining,
        "counts": {
            "done": counts[Item.DONE],
            "failed": counts[Item.FAILED],
            "skipped": counts[Item.SKIPPED],
            "remaining": remaining,
        },
        "items": [
            {
                "id": item.pk,
                "position": item.position,
                "filing": item.filing_id,
                "company": item.filing.company.name,
                "credit_code": item.filing.company.credit_code,
                "filing_status": item.filing.status,
                "filing_status_label": str(item.filing.get_status_display()),
                "state": item.state,
                "state_label": str(item.get_state_display()),
                "message": item.message,
            }
            for item in items
        ],
    }
