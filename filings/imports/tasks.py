"""Background tasks of imports: thin shells over filings.imports.processing.

Arguments and return values are ids and states. A check or an import started again (a worker
died) carries on where the rows say: each row is imported at most once.
"""

from datetime import datetime

from django_tasks import task

from filings.imports import processing


@task()
def check_import(run_id: int) -> str:
    """Judge every row of an uploaded import; returns the run's state."""
    return processing.run_check(run_id)


@task(priority=-10)
def apply_import(run_id: int) -> str:
    """Import the confirmed rows that still wait; returns the run's state."""
    return processing.run_apply(run_id)


@task()
def expire_import(run_id: int) -> str:
    """Delete the files of an import nobody confirmed in time; returns the run's state."""
    return processing.run_expire(run_id)


def enqueue_check(run_id: int) -> None:
    check_import.enqueue(run_id)


def enqueue_apply(run_id: int) -> None:
    apply_import.enqueue(run_id)


def enqueue_expiry(run_id: int, at: datetime) -> None:
    expire_import.using(run_after=at).enqueue(run_id)
