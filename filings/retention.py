"""The retention rules for documents: which ones are purged, and why. Only reads.

Identity materials are kept for the service period plus PORTAL_RETENTION_DAYS, and no longer.
A version replaced before it was ever sent is kept PORTAL_DRAFT_RETENTION_DAYS after it was
replaced. Nothing of a company under legal hold, and nothing of a filing still under way, is
purged. services.retention does the purging; `manage.py purge_expired` lists or runs it.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, TextChoices, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import Document, Submission
from filings.workflow import State


class Reason(TextChoices):
    SERVICE_ENDED = "service_ended", _("the company's service ended over the retention period ago")
    SUPERSEDED_UNSENT = "superseded_unsent", _("replaced without ever being sent")


# A filing in one of these states may still be sent or is being decided: its documents stay.
UNFINISHED_STATES = frozenset({State.IN_REVIEW, State.APPROVED, State.SENDING, State.UNKNOWN})


def _days(name: str) -> int:
    days = int(getattr(settings, name))
    if days < 0:
        raise ImproperlyConfigured(f"{name} must be 0 or more days, not {days}.")
    return days


def service_end_cutoff(now: datetime) -> date:
    """A service that ended before this day ended more than PORTAL_RETENTION_DAYS ago."""
    return timezone.localdate(now) - timedelta(days=_days("PORTAL_RETENTION_DAYS"))


def superseded_cutoff(now: datetime) -> datetime:
    """A version replaced before this time was replaced PORTAL_DRAFT_RETENTION_DAYS ago."""
    return now - timedelta(days=_days("PORTAL_DRAFT_RETENTION_DAYS"))


def sent_while_current() -> Exists:
    """A submission of the document's filing (one that left the portal) started while the
    document was current: uploaded_at ≤ started_at < superseded_at."""
    return Exists(
        Submission.objects.filter(
            filing_id=OuterRef("filing_id"),
            started_at__gte=OuterRef("uploaded_at"),
            started_at__lt=OuterRef("superseded_at"),
        ).exclude(outcome=Submission.Outcome.NOT_SENT)
    )


def service_ended(now: datetime) -> Q:
    return Q(filing__company__service_ended_on__lt=service_end_cutoff(now))


def superseded_unsent(now: datetime) -> Q:
    return Q(~sent_while_current(), superseded_at__lt=superseded_cutoff(now))


def kept() -> Q:
    """Never purged: already purged, a company under legal hold, a filing still under way."""
    return (
        Q(purged_at__isnull=False)
        | Q(filing__company__legal_hold=True)
        | Q(filing__status__in=UNFINISHED_STATES)
    )


def purgeable(now: datetime) -> QuerySet[Document]:
    """Every document due for purging at `now`, annotated with `purge_reason` (a Reason)."""
    ended, unsent = service_ended(now), superseded_unsent(now)
    return (
        Document.objects.filter(ended | unsent)
        .exclude(kept())
        .annotate(
            purge_reason=Case(
                When(ended, then=Value(Reason.SERVICE_ENDED.value)),
                default=Value(Reason.SUPERSEDED_UNSENT.value),
            )
        )
        .select_related("filing__company")
        .order_by("filing__company__name", "filing_id", "kind", "part", "uploaded_at", "pk")
    )


def reason_of(document: Document) -> Reason:
    """Why a document of `purgeable` is due."""
    return Reason(document.purge_reason)  # type: ignore[attr-defined]
