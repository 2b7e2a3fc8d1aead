"""Reads for pages and exports: each a fixed number of queries, whatever the row count."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from filings.audit import EVENT_FIELDS
from filings.content import current_links
from filings.four_eyes import changed_by
from filings.models import AuditEvent, Company, Document, DocumentAccess, Filing, Submission
from filings.workflow import SENT_STATES, State


def filing_timeline(filing: Filing) -> QuerySet[AuditEvent]:
    """The filing's changes; who looked at its documents is listed with the access records."""
    return (
        AuditEvent.objects.filter(filing_id=filing.pk)
        .exclude(kind__in=DocumentAccess.KINDS)
        .order_by("seq")
    )


def submissions_for_history() -> QuerySet[Submission]:
    return Submission.objects.select_related("filing__company", "actor")


def review_queue(user_id: int) -> QuerySet[Filing]:
    """Filings in review that this reviewer may approve (four-eyes), oldest first."""
    return (
        Filing.objects.filter(~changed_by(user_id), status=Filing.Status.IN_REVIEW)
        .select_related("company", "created_by")
        .order_by("updated_at")
    )


SUBMISSION_EXPORT_FIELDS = (
    "id",
    "started_at",
    "actor__username",
    "filing_id",
    "filing__company__name",
    "filing__company__credit_code",
    "outcome",
    "http_status",
    "provider_request_id",
    "error_code",
    "error_message",
    "result_code",
    "result_message",
    "transport_error",
    "request_sha256",
)

AUDIT_EXPORT_FIELDS = EVENT_FIELDS


def submission_rows(queryset: QuerySet[Submission]) -> Iterator[tuple[object, ...]]:
    return (
        queryset.order_by("started_at", "id").values_list(*SUBMISSION_EXPORT_FIELDS).iterator(2000)
    )


def audit_rows(queryset: QuerySet[AuditEvent]) -> Iterator[tuple[object, ...]]:
    return queryset.order_by("seq").values_list(*AUDIT_EXPORT_FIELDS).iterator(2000)


# A document valid for fewer days than this is listed to be renewed.
EXPIRY_WARNING_DAYS = 30
# Filings whose documents went out and are not sent again; every other filing is open.


@dataclass
class ExpiringDocument:
    document: Document
    filing_ids: list[int]
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


@dataclass
class CompanyToRenew:
    company: Company
    documents: list[ExpiringDocument] = field(default_factory=list)

    @property
    def expired_count(self) -> int:
        return sum(item.expired for item in self.documents)


def _latest_of_each_kind() -> Q:
    """The link's filing is its company's newest of its kind (company filing, number filing)."""
    newest = Filing.objects.filter(
        company_id=OuterRef("filing__company_id"), kind=OuterRef("filing__kind")
    ).order_by("-created_at", "-pk")
    return Q(filing_id=Subquery(newest.values("pk")[:1]))


def expiring_documents(today: date | None = None) -> list[CompanyToRenew]:
    """Per company in service, the documents sent by its open filings and by its newest filing
    of each kind that stop being valid within EXPIRY_WARNING_DAYS (or already did), soonest
    first, each once with the filings that send it. One query."""
    today = today or timezone.localdate()
    links = (
        current_links(
            Q(filing__status__in=set(State) - SENT_STATES) | _latest_of_each_kind(),
            part=Document.Part.MAIN,
            document__purged_at__isnull=True,
            document__valid_until__lte=today + timedelta(days=EXPIRY_WARNING_DAYS),
            filing__company__service_ended_on__isnull=True,
        )
        .select_related("document", "filing__company")
        .order_by(
            "filing__company__name",
            "filing__company_id",
            "document__valid_until",
            "kind",
            "document_id",
            "filing_id",
        )
    )
    companies: dict[int, CompanyToRenew] = {}
    seen: dict[int, ExpiringDocument] = {}
    for link in links:
        company = link.filing.company
        entry = companies.setdefault(company.pk, CompanyToRenew(company))
        if link.document_id in seen:
            seen[link.document_id].filing_ids.append(link.filing_id)
            continue
        document = link.document
        days_left = (document.valid_until - today).days if document.valid_until else 0
        seen[link.document_id] = ExpiringDocument(document, [link.filing_id], days_left)
        entry.documents.append(seen[link.document_id])
    return list(companies.values())
