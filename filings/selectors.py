"""Reads for pages and exports: each a fixed number of queries, whatever the row count."""

from collections.abc import Iterator

from django.db.models import QuerySet

from filings.audit import EVENT_FIELDS
from filings.four_eyes import changed_by
from filings.models import AuditEvent, DocumentAccess, Filing, Submission


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
