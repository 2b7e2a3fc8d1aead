"""Services of bulk runs: start one (the action's permission checked up front) and cancel one.

The items themselves are processed by background tasks (filings.bulk.processing).
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone, translation

from filings import audit, errors
from filings.bulk import messages
from filings.bulk.models import BulkItem, BulkRun, kind_permission
from filings.bulk.processing import lease, run_finish_if_complete, schedule_sweep
from filings.bulk.selectors import may_follow
from filings.bulk.tasks import enqueue_item
from filings.content import content_hash, current_documents
from filings.models import Filing
from filings.services.common import Actor, require_perm, user_id
from filings.workflow import State

MAX_ITEMS = 500


def _seen_hashes(kind: BulkRun.Kind, filings: list[Filing]) -> dict[int, str]:
    """Approve: each filing in review is approved as it is now, or not at all."""
    if kind != BulkRun.Kind.APPROVE:
        return {}
    return {
        filing.pk: content_hash(filing, current_documents(filing))
        for filing in filings
        if filing.status == State.IN_REVIEW
    }


def bulk_run_start(*, actor: Actor, kind: str, filing_ids: Iterable[int], language: str) -> BulkRun:
    """Start a run of `kind` on the filings, in id order, and queue one task per item.

    Whether each filing may make the move (its state, four-eyes, pre-flight) is the service's
    answer when its item is processed; refused items are listed with that answer.
    """
    run_kind = BulkRun.Kind(kind)
    require_perm(actor, kind_permission(run_kind))
    ids = sorted(set(filing_ids))
    if not ids:
        raise errors.FilingsError(str(messages.NOTHING_SELECTED))
    if len(ids) > MAX_ITEMS:
        raise errors.FilingsError(str(messages.TOO_MANY).format(limit=MAX_ITEMS))
    filings = list(Filing.objects.filter(pk__in=ids).select_related("company").order_by("pk"))
    seen = _seen_hashes(run_kind, filings)
    with transaction.atomic():
        run = BulkRun.objects.create(actor_id=user_id(actor), kind=run_kind, language=language)
        items = BulkItem.objects.bulk_create(
            BulkItem(run=run, filing=filing, position=n, seen_hash=seen.get(filing.pk, ""))
            for n, filing in enumerate(filings, start=1)
        )
        for item in items:
            item.task_id = enqueue_item(item.pk)
            item.attempts = 1
        BulkItem.objects.bulk_update(items, ["task_id", "attempts"])
        schedule_sweep(run.pk, timezone.now() + lease())
        audit.record(
            actor=actor,
            kind="bulk.started",
            target=run,
            data={"action": run_kind.value, "filings": [filing.pk for filing in filings]},
        )
    return run


@transaction.atomic
def bulk_run_cancel(*, actor: Actor, run: BulkRun) -> int:
    """Cancel a running run between items: the waiting ones are skipped, those being sent
    finish. Returns how many were skipped."""
    if not may_follow(actor, run):
        raise errors.NotPermitted(str(errors.NOT_PERMITTED))
    cancelled = BulkRun.objects.filter(pk=run.pk, state=BulkRun.State.RUNNING).update(
        state=BulkRun.State.CANCELLED, cancelled_by_id=user_id(actor)
    )
    if not cancelled:
        raise errors.StaleState(str(messages.NOT_RUNNING))
    with translation.override(run.language):
        reason = str(messages.CANCELLED)
    skipped = BulkItem.objects.filter(run=run, state=BulkItem.State.PENDING).update(
        state=BulkItem.State.SKIPPED, message=reason, finished_at=timezone.now()
    )
    audit.record(actor=actor, kind="bulk.cancelled", target=run, data={"skipped": skipped})
    run_finish_if_complete(run.pk)
    return skipped
