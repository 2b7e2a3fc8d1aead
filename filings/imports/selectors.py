"""Reads of imports: who may import and follow a run, whether it stalled, and its progress."""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count
from django.utils import timezone

from filings.imports.models import ImportRow, ImportRun

# An import creates companies and filings and edits drafts: a preparer's rights.
IMPORT_PERMISSIONS = ("filings.add_company", "filings.add_filing", "filings.change_filing")
# A checking or importing run whose task showed no sign of life for this long can be resumed.
STALLED_AFTER = timedelta(minutes=2)
WORKING_STATES = frozenset({ImportRun.State.CHECKING, ImportRun.State.IMPORTING})


def may_import(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and all(user.has_perm(p) for p in IMPORT_PERMISSIONS)


def is_stalled(run: ImportRun) -> bool:
    if run.state not in WORKING_STATES or run.heartbeat_at is None:
        return False
    return timezone.now() - run.heartbeat_at > STALLED_AFTER


def run_progress(run: ImportRun) -> dict[str, Any]:
    """The run's state and counts, as the progress bar shows them (two queries)."""
    outcomes = Counter(dict(run.rows.order_by().values_list("outcome").annotate(n=Count("pk"))))
    if run.state == ImportRun.State.CHECKING:
        done, total = run.checked, run.total
    else:
        Outcome = ImportRow.Outcome
        total = sum(outcomes.values()) - outcomes[Outcome.NOT_IMPORTED]
        done = total - outcomes[Outcome.WAITING] - outcomes[Outcome.WORKING]
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": str(run.get_state_display()),
        "done": done,
        "total": total,
        "stalled": is_stalled(run),
        "outcomes": {key: outcomes[key] for key in ImportRow.Outcome.values},
    }
