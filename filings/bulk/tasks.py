"""Background tasks of bulk runs: thin shells over filings.bulk.processing.

One task per item, so any number of workers share a run and a worker that dies takes at most its
one item with it; and a sweep per run, scheduled while the run is open, for what dead workers
leave behind. Arguments and return values are ids and states.
"""

from datetime import datetime

from django_tasks import task

from filings.bulk import processing

# Bulk items yield to the other tasks (mail, anchors) enqueued behind a long run.
ITEM_PRIORITY = -10


@task(priority=ITEM_PRIORITY)
def process_bulk_item(item_id: int) -> str:
    """Process one item of a run if it still waits; returns its state."""
    return processing.item_process(item_id)


@task()
def sweep_bulk_run(run_id: int) -> bool:
    """Settle what dead workers left of a run; returns whether the run is finished."""
    return processing.run_sweep(run_id)


def enqueue_item(item_id: int) -> str:
    """Queue the item's task (in the caller's transaction: both commit or neither); its id."""
    return str(process_bulk_item.enqueue(item_id).id)


def enqueue_sweep(run_id: int, at: datetime) -> None:
    sweep_bulk_run.using(run_after=at).enqueue(run_id)
