"""Query expressions the desk's pages share: how long a filing has been where it is, its last
workflow event, and what makes a draft a rework. Each is one expression, used in filters,
counts and rows alike."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce

from filings.models import AuditEvent, Decision, Filing, Submission
from filings.workflow import TRANSITIONS, State

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


def accepted_at() -> Subquery:
    """When the filing's newest accepted submission was sent (NULL when there is none, e.g. an
    unknown outcome that a reviewer resolved as received)."""
    return Subquery(
        Submission.objects.filter(filing_id=OuterRef("pk"), outcome=Submission.Outcome.ACCEPTED)
        .order_by("-started_at")
        .values("started_at")[:1]
    )


def state_since() -> Case:
    """Since when the filing is in its state: a submitted one since its accepted send (or the
    move that made it submitted); any other since its last move (each move stamps updated_at,
    and only drafts and approved filings are edited)."""
    return Case(
        When(status=State.SUBMITTED, then=Coalesce(accepted_at(), F("updated_at"))),
        default=F("updated_at"),
        output_field=DateTimeField(),
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
