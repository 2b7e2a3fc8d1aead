"""What auditors read: submissions and the audit trail, read-only, with streamed exports."""

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from filings.admin.base import ReadOnlyAdmin
from filings.audit import EVENT_FIELDS
from filings.audit.exports import history_export
from filings.models import AuditEvent, Document, Submission
from filings.outcomes import describe
from filings.personal_data import hidden_kinds
from filings.redaction import redact_event_data, redact_request_body

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _pre(text: str) -> str:
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    return format_html('<pre class="raw">{}</pre>', text)


# The kinds hidden from the user whose page is being rendered; display methods only get the
# object, and one admin instance serves every request. Unset means hide all sensitive kinds.
_hidden_kinds: ContextVar[frozenset[str]] = ContextVar(
    "hidden_kinds", default=Document.SENSITIVE_KINDS
)


@contextlib.contextmanager
def _viewer(request: HttpRequest) -> Iterator[None]:
    token = _hidden_kinds.set(hidden_kinds(request.user))
    try:
        yield
    finally:
        _hidden_kinds.reset(token)


class ViewerAwareMixin:
    """Renders the change page knowing what the viewing user may not see."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with _viewer(request):
            response = super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
            if hasattr(response, "render"):
                response.render()
            return response


class ExportMixin:
    """Adds /export/<fmt>/ to a read-only admin: the current filters, streamed."""

    export_what: str
    admin_site: Any

    def get_urls(self) -> list[URLPattern]:
        info = (self.model._meta.app_label, self.model._meta.model_name)  # type: ignore[attr-defined]
        return [
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponseBase:
        if fmt not in CONTENT_TYPES:
            return HttpResponse(status=404)
        if not request.user.has_perm("filings.export_history"):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)  # type: ignore[attr-defined]
        queryset: QuerySet[Any] = changelist.get_queryset(request)
        filters = request.GET.dict()
        lines = history_export(
            actor=request.user, what=self.export_what, fmt=fmt, queryset=queryset, filters=filters
        )
        response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[fmt])
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="{self.export_what}-{stamp}.{fmt}"'
        return response


@admin.register(Submission)
class SubmissionAdmin(ViewerAwareMixin, ExportMixin, ReadOnlyAdmin):
    export_what = "submissions"
    list_display = [
        "started_at",
        "actor",
        "company",
        "credit_code",
        "outcome",
        "http_status",
        "provider_request_id",
        "said",
    ]
    list_filter = [
        "outcome",
        ("started_at", admin.DateFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["filing__company__credit_code", "provider_request_id", "filing__company__name"]
    list_select_related = ["filing__company", "actor"]
    # No date_hierarchy: it runs MIN/MAX and SELECT DISTINCT trunc(started_at) over all
    # submissions on every page; the date filter gives the same choice without that cost.
    change_list_template = "admin/filings/export_change_list.html"
    fields = [
        "filing",
        "actor",
        "outcome",
        "retryable",
        "endpoint",
        "region",
        "started_at",
        "finished_at",
        "duration_ms",
        "http_status",
        "provider_request_id",
        "error_code",
        "error_code_n",
        "error_message",
        "result_code",
        "result_message",
        "result_request_id",
        "transport_error",
        "request_sha256",
        "content_hash",
        "headers_sent",
        "body_sent",
        "raw_response",
    ]
    readonly_fields = fields  # type: ignore[assignment]

    @admin.display(description=_("company"), ordering="filing__company__name")
    def company(self, obj: Submission) -> str:
        return obj.filing.company.name

    @admin.display(description=_("credit code"), ordering="filing__company__credit_code")
    def credit_code(self, obj: Submission) -> str:
        return obj.filing.company.credit_code

    @admin.display(description=_("Volcengine said"))
    def said(self, obj: Submission) -> str:
        return Truncator(describe(obj).said).chars(80)

    @admin.display(description=_("request body sent (document URLs removed)"))
    def body_sent(self, obj: Submission) -> str:
        return _pre(redact_request_body(obj.request_body, hidden_kinds=_hidden_kinds.get()))

    @admin.display(description=_("headers sent (signature redacted)"))
    def headers_sent(self, obj: Submission) -> str:
        return _pre(json.dumps(obj.request_headers))

    @admin.display(description=_("raw response"))
    def raw_response(self, obj: Submission) -> str:
        return _pre(obj.response_body)


@admin.register(AuditEvent)
class AuditEventAdmin(ViewerAwareMixin, ExportMixin, ReadOnlyAdmin):
    export_what = "audit"
    list_display = [
        "seq",
        "created_at",
        "actor_username",
        "kind",
        "target_type",
        "target_id",
        "filing_id",
    ]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["kind", "actor_username", "target_id"]
    change_list_template = "admin/filings/export_change_list.html"
    # Every column of an event, the data shown through `event_data` (redacted for the viewer).
    fields = [name if name != "data" else "event_data" for name in EVENT_FIELDS]
    readonly_fields = fields  # type: ignore[assignment]
    show_full_result_count = False

    @admin.display(description=_("data"))
    def event_data(self, obj: AuditEvent) -> str:
        data = redact_event_data(obj.data, hidden_kinds=_hidden_kinds.get())
        return _pre(json.dumps(data, ensure_ascii=False))
