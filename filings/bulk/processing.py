"""Processing a bulk run in background tasks: one task per item, each through the services.

- Submit and approve: the item's compare-and-set (waiting → done) and the service's move are one
  transaction, so a worker that dies mid-item leaves both as they were.
- Send: the item is claimed (waiting → sending) before the send and never processed again; the
  send is `services.sending.filing_send` (APPROVED→SENDING compare-and-set, HTTP outside any
  transaction, outcome recorded), then the item takes the Submission's outcome. A throttling
  answer stops the run: the waiting items are skipped and their filings stay approved.
- The sweep settles what dead workers left: a claimed send from the filing's audit trail and
  Submissions, a waiting item by enqueueing its task again.

Every item is idempotent: a task whose item is no longer waiting does nothing. Locks are taken
in one order: the run row, then item rows, then what the services lock (filing, company,
numbers, audit chain head).
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from filings import audit
from filings.bulk import messages
from filings.bulk.models import BulkItem, BulkRun
from filings.bulk.pace import pace_wait
from filings.bulk.rate_limit import is_throttling
from filings.errors import FilingsError
from filings.models import AuditEvent, Filing, Submission
from filings.outcomes import describe
from filings.services import review, sending
from filings.workflow import TRANSITIONS, Action

Item = BulkItem.State
Run = BulkRun.State
OPEN = (Item.PENDING, Item.WORKING)
# How long past its connect and read timeouts a live send may still hold its item.
LEASE_MARGIN_SECONDS = 5
# How many tasks an item gets before it is given up as failed.
MAX_ATTEMPTS = 3
START_EVENT = next(t.event_kind for t in TRANSITIONS if t.action == Action.START_SENDING)

PERFORM: dict[str, Callable[[User, BulkItem], object]] = {
    BulkRun.Kind.SUBMIT: lambda actor, item: review.filing_submit(actor=actor, filing=item.filing),
    BulkRun.Kind.APPROVE: lambda actor, item: review.filing_approve(
        actor=actor, filing=item.filing, seen_hash=item.seen_hash
    ),
}


def lease() -> timedelta:
    """How long a live worker may hold an item: a send's timeouts, and a margin."""
    seconds = settings.VOLC_CONNECT_TIMEOUT + settings.VOLC_READ_TIMEOUT + LEASE_MARGIN_SECONDS
    return timedelta(seconds=seconds)


def item_process(item_id: int) -> str:
    """Process one item if it is still waiting; returns its state afterwards."""
    item = BulkItem.objects.select_related("run__actor", "filing").get(pk=item_id)
    run = item.run
    if item.state == Item.PENDING:
        with translation.override(run.language):
            if run.state != Run.RUNNING:
                # Cancel and stop skip the waiting items themselves; this is a late task's item.
                _finish(item, Item.SKIPPED, stop_reason(run), source=Item.PENDING)
            elif run.kind == BulkRun.Kind.SEND:
                _send(run, item)
            else:
                _move(run, item)
    run_finish_if_complete(run.pk)
    _rearm_sweep(run)
    return str(BulkItem.objects.values_list("state", flat=True).get(pk=item_id))


def stop_reason(run: BulkRun) -> str:
    return str(messages.CANCELLED if run.state == Run.CANCELLED else messages.SLOW_DOWN)


def _finish(
    item: BulkItem,
    state: str,
    message: str,
    *,
    source: str,
    submission: Submission | None = None,
) -> bool:
    """Move the item from `source` to its result (compare-and-set); False if it had moved."""
    return bool(
        BulkItem.objects.filter(pk=item.pk, state=source).update(
            state=state, message=message, submission=submission, finished_at=timezone.now()
        )
    )


def _move(run: BulkRun, item: BulkItem) -> None:
    done = str(next(t.done for t in TRANSITIONS if t.action == run.workflow_action))
    try:
        with transaction.atomic():
            if _finish(item, Item.DONE, done, source=Item.PENDING):
                PERFORM[run.kind](run.actor, item)
    except FilingsError as exc:
        # Four-eyes, pre-flight, a state that moved on: the service's own words.
        _finish(item, Item.FAILED, exc.message, source=Item.PENDING)


def _send(run: BulkRun, item: BulkItem) -> None:
    pace_wait()
    claimed = BulkItem.objects.filter(pk=item.pk, state=Item.PENDING).update(
        state=Item.WORKING, claimed_at=timezone.now()
    )
    if not claimed:
        return
    try:
        submission = sending.filing_send(actor=run.actor, filing=item.filing)
    except FilingsError as exc:  # refused before anything was sent
        _finish(item, Item.FAILED, exc.message, source=Item.WORKING)
        return
    record_submission(run, item, submission)


def record_submission(run: BulkRun, item: BulkItem, submission: Submission) -> None:
    """The item takes the outcome of its send; a throttling answer stops the run."""
    outcome = describe(submission).summary
    throttled = is_throttling(submission.http_status, submission.error_code)
    message = str(messages.SLOW_DOWN_ANSWER).format(outcome=outcome) if throttled else outcome
    accepted = submission.outcome == Submission.Outcome.ACCEPTED
    # The Submission is what happened: it is written whatever a sweep said meanwhile.
    BulkItem.objects.filter(pk=item.pk).update(
        state=Item.DONE if accepted else Item.FAILED,
        message=message,
        submission=submission,
        finished_at=timezone.now(),
    )
    if throttled:
        run_stop(run, submission)


@transaction.atomic
def run_stop(run: BulkRun, submission: Submission) -> None:
    """Stop the run at a throttling answer: its waiting items are skipped, nothing more is sent."""
    if not BulkRun.objects.filter(pk=run.pk, state=Run.RUNNING).update(state=Run.STOPPED):
        return
    skipped = BulkItem.objects.filter(run=run, state=Item.PENDING).update(
        state=Item.SKIPPED, message=str(messages.SLOW_DOWN), finished_at=timezone.now()
    )
    audit.record(
        actor=run.actor,
        kind="bulk.stopped",
        target=run,
        data={
            "submission": submission.pk,
            "http_status": submission.http_status,
            "error_code": submission.error_code,
            "skipped": skipped,
        },
    )


@transaction.atomic
def run_finish_if_complete(run_id: int) -> bool:
    """Once no item waits or is being sent, the run is finished (a running one is done)."""
    if BulkItem.objects.filter(run_id=run_id, state__in=OPEN).exists():
        return False
    now = timezone.now()
    BulkRun.objects.filter(pk=run_id, state=Run.RUNNING).update(state=Run.DONE)
    BulkRun.objects.filter(pk=run_id, finished_at=None).update(finished_at=now, sweep_at=None)
    return True


# --- What dead workers leave ------------------------------------------------------------------


def schedule_sweep(run_id: int, at: datetime) -> None:
    from filings.bulk.tasks import enqueue_sweep

    BulkRun.objects.filter(pk=run_id).update(sweep_at=at)
    enqueue_sweep(run_id, at)


def _rearm_sweep(run: BulkRun) -> None:
    """A sweep that should have run long ago died with its worker: schedule another."""
    now = timezone.now()
    overdue = run.sweep_at is not None and run.sweep_at < now - lease()
    if overdue and BulkRun.objects.filter(pk=run.pk, sweep_at=run.sweep_at).exists():
        schedule_sweep(run.pk, now + lease())


def run_sweep(run_id: int, now: datetime | None = None) -> bool:
    """Settle the items of workers that died; True once the run is finished.

    A claimed send older than the lease is settled from what happened to its filing; a waiting
    item whose task died (or failed) gets a new task, up to MAX_ATTEMPTS. While the run is not
    finished, the next sweep is scheduled.
    """
    now = now or timezone.now()
    run = BulkRun.objects.select_related("actor").get(pk=run_id)
    if run.finished_at is not None:
        return True
    expired = now - lease()
    with translation.override(run.language):
        stale = run.items.filter(state=Item.WORKING, claimed_at__lt=expired)
        for item in stale.select_related("filing"):
            settle_interrupted_send(run, item)
        for item in run.items.filter(state=Item.PENDING):
            if not _task_alive(item, expired):
                _retry(item)
    if run_finish_if_complete(run_id):
        return True
    # Next when the first claim still held runs out, at the latest a lease from now.
    claims = run.items.filter(state=Item.WORKING).values_list("claimed_at", flat=True)
    ends = [claimed + lease() for claimed in claims if claimed is not None]
    next_at = min([end for end in ends if end > now] + [now + lease()])
    schedule_sweep(run_id, next_at + timedelta(seconds=1))
    return False


def settle_interrupted_send(run: BulkRun, item: BulkItem) -> None:
    """A claimed send whose worker died: its Submission if one was written, else what the
    filing's audit trail says: the send started (outcome unknown) or nothing was sent."""
    claimed_at = item.claimed_at or timezone.now()  # a claimed item always has its time
    window = (claimed_at, claimed_at + lease())
    mine = {"filing_id": item.filing_id, "actor_id": run.actor_id}
    submission = (
        Submission.objects.filter(**mine, started_at__range=window).order_by("started_at").first()
    )
    if submission is not None:
        record_submission(run, item, submission)
        return
    status = Filing.objects.get(pk=item.filing_id).get_status_display()
    started = AuditEvent.objects.filter(**mine, kind=START_EVENT, created_at__range=window).exists()
    if started:
        _finish(
            item,
            Item.FAILED,
            str(messages.INTERRUPTED_MID_SEND).format(status=status),
            source=Item.WORKING,
        )
    else:
        _finish(
            item,
            Item.SKIPPED,
            str(messages.INTERRUPTED_BEFORE_SEND).format(status=status),
            source=Item.WORKING,
        )


def _task_alive(item: BulkItem, expired: datetime) -> bool:
    from filings.bulk.tasks import process_bulk_item

    try:
        result = process_bulk_item.get_result(item.task_id)
    except TaskResultDoesNotExist:
        return False
    if result.status == TaskResultStatus.READY:
        return True
    started = result.started_at
    return result.status == TaskResultStatus.RUNNING and started is not None and started >= expired


def _retry(item: BulkItem) -> None:
    from filings.bulk.tasks import enqueue_item

    if item.attempts >= MAX_ATTEMPTS:
        message = str(messages.TASK_FAILED).format(attempts=item.attempts)
        _finish(item, Item.FAILED, message, source=Item.PENDING)
        return
    with transaction.atomic():
        task_id = enqueue_item(item.pk)
        BulkItem.objects.filter(pk=item.pk, state=Item.PENDING).update(
            task_id=task_id, attempts=item.attempts + 1
        )
