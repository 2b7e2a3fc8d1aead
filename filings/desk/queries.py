"""Query expressions the desk's pages share: its last workflow event and what makes a draft a
rework. Each is one expression, used in filters, counts and rows alike. How long a filing has
been where it is is a column, `Filing.state_since`, written by the services: the move into its
state (a submitted filing: since its accepted send started; resolved as received from an
unknown outcome: since that move), or a later content edit (only drafts and approved filings
are edited, and the unsent filings of a company whose details change are touched)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery

from filings.models import AuditEvent, Decision, Filing
from filings.workflow import TRANSITIONS

# The events the workflow's moves write: the newest of them says how a filing got where it is
# (a draft whose newest one is `filing.changes_requested` waits for the preparer's changes).
MOVE_EVENT_KINDS: tuple[str, ...] = tuple(sorted({move.event_kind for move in TRANSITIONS}))
CHANGES_REQUESTED = "filing.changes_requested"


def last_move_kind() -> Subquery:
    """The kind of the filing's newest workflow event (or NULL)."""
    return Subquery(
        AuditEvent.objects.filter(filing_id=OuterRef("pk"), kind__in=MOVE_EVENT_KINDS)
        .order_by("-seq")
        .values("kind")[:1]
    )


def is_rework() -> Q:
    """A filing that answers a decline: the next attempt of a declined filing, or a filing made
    after Volcengine declined one of the same company."""
    declined_before = Decision.objects.filter(
        filing__company_id=OuterRef("company_id"),
        outcome=Decision.Outcome.DECLINED,
        recorded_at__lt=OuterRef("created_at"),
    )
    return Q(attempt__gt=1) | Q(Exists(declined_before))


def alert_cutoff(now: datetime) -> datetime:
    """A filing in its state since before this has waited past PORTAL_WAITING_ALERT_DAYS."""
    return now - timedelta(days=settings.PORTAL_WAITING_ALERT_DAYS)


def whole_days(since: datetime | None, now: datetime) -> int:
    return max(0, (now - since).days) if since is not None else 0


def kind_label(kind: str, number_action: str = "") -> str:
    """`Number filing · Add numbers`: what a filing is, in words."""
    label = str(Filing.Kind(kind).label)
    if kind == Filing.Kind.NUMBER and number_action:
        label += f" · {Filing.NumberAction(number_action).label}"
    return label


def filing_label(filing: Filing) -> str:
    """`#12 · Number filing · Add numbers` (no query: the kind's labels only)."""
    return f"#{filing.pk} · {kind_label(filing.kind, filing.number_action)}"
