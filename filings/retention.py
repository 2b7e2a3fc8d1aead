"""The retention rules for documents: which ones are purged, and why. Only reads.

Identity materials are kept for the service period plus PORTAL_RETENTION_DAYS, and no longer.
A version replaced before it was ever sent is kept PORTAL_DRAFT_RETENTION_DAYS after it was
replaced; with documents reused by later filings of the company, that is: after every filing
that held it replaced or removed it, none of them having sent it. Nothing of a company under
legal hold, and nothing a filing still under way holds or held, is purged. services.retention
does the purging; `manage.py purge_expired` lists or runs it.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, TextChoices, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import Document, FilingDocument, Submission
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


def _links(**filters: object) -> Exists:
    """The document is or was sent by a filing whose link matches `filters`."""
    return Exists(FilingDocument.objects.filter(document_id=OuterRef("pk"), **filters))


def sent_while_held() -> Exists:
    """A filing sent the document: a submission of it (one that left the portal) started while
    the filing held the document, added_at ≤ started_at < removed_at."""
    sent = Submission.objects.filter(
        filing_id=OuterRef("filing_id"),
        started_at__gte=OuterRef("added_at"),
        started_at__lt=OuterRef("removed_at"),
    ).exclude(outcome=Submission.Outcome.NOT_SENT)
    return Exists(FilingDocument.objects.filter(Exists(sent), document_id=OuterRef("pk")))


def service_ended(now: datetime) -> Q:
    return Q(company__service_ended_on__lt=service_end_cutoff(now))


def superseded_unsent(now: datetime) -> Q:
    """Replaced or removed in every filing that held it, the last time before the cutoff, and
    sent by none of them. A document some filing still sends is never due under this rule."""
    return Q(
        _links(),
        ~_links(removed_at__isnull=True),
        ~_links(removed_at__gte=superseded_cutoff(now)),
        ~sent_while_held(),
    )


def kept() -> Q:
    """Never purged: already purged, a company under legal hold, or held (now or before) by a
    filing still under way."""
    return (
        Q(purged_at__isnull=False)
        | Q(company__legal_hold=True)
        | Q(_links(filing__status__in=UNFINISHED_STATES))
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
        .order_by("company__name", "filing_id", "kind", "part", "uploaded_at", "pk")
    )


def reason_of(document: Document) -> Reason:
    """Why a document of `purgeable` is due."""
    return Reason(document.purge_reason)  # type: ignore[attr-defined]
