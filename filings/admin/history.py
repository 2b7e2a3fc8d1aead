"""What auditors read: submissions and the audit trail, read-only, with streamed exports."""

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from filings.admin.base import ReadOnlyAdmin, TitledPages, as_id
from filings.admin.search import ExactSearch
from filings.admin.trail import EventKindFilter, FilingFilter, TrailSearchMixin, event_title
from filings.admin.trail_verify import may_verify, verify_chain_view
from filings.audit import EVENT_FIELDS
from filings.audit.exports import HEADER, history_export
from filings.audit.labels import event_label
from filings.models import AuditEvent, Document, Submission
from filings.outcomes import describe
from filings.personal_data import hidden_kinds
from filings.redaction import redact_event_data, redact_request_body
from filings.templatetags.portal_time import local_time

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _shortened(text: str, length: int) -> str:
    """At most `length` characters (ending with …), the whole text in the tooltip."""
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}</span>', text, text[: length - 1].rstrip() + "…")


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
        export = history_export(
            actor=request.user, what=self.export_what, fmt=fmt, queryset=queryset, filters=filters
        )
        response = StreamingHttpResponse(export, content_type=CONTENT_TYPES[fmt])
        subject = self.export_what
        if as_id(filters.get("filing")) is not None:
            subject += f"-filing-{filters['filing']}"
        response["Content-Disposition"] = f'attachment; filename="{export.filename(subject)}"'
        response[HEADER] = export.statement
        return response


def target_name(target_type: str) -> str:
    """The translated name of the kind of object an event is about (`filing` → 报备)."""
    for app_label in ("filings", "auth"):
        try:
            return str(apps.get_model(app_label, target_type)._meta.verbose_name)
        except LookupError:
            continue
    return target_type


def submission_title(submission: Submission) -> str:
    """`Submission 7 · Accepted · 2026-11-30 13:48 +08:00`: the title of its page."""
    return " · ".join(
        (
            gettext("Submission %(number)s") % {"number": submission.pk},
            str(submission.get_outcome_display()),
            local_time(submission.started_at, seconds=False),
        )
    )


@admin.register(Submission)
class SubmissionAdmin(ExactSearch, TitledPages, ViewerAwareMixin, ExportMixin, ReadOnlyAdmin):
    export_what = "submissions"
    # What fits a 1366 px screen; the HTTP status and the whole message are on each page.
    list_display = [
        "started",
        "actor",
        "company",
        "credit_code",
        "outcome",
        "provider_request_id",
        "said",
    ]
    list_filter = [
        "outcome",
        ("started_at", admin.DateFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["filing__company__credit_code", "provider_request_id", "filing__company__name"]
    credit_code_lookup = "filing__company__credit_code"
    request_id_lookup = "provider_request_id"
    list_select_related = ["filing__company", "actor"]
    # No date_hierarchy: it runs MIN/MAX and SELECT DISTINCT trunc(started_at) over all
    # submissions on every page; the date filter gives the same choice without that cost.
    change_list_template = "admin/filings/submission/change_list.html"
    fields = [
        "filing",
        "sent_by",
        "outcome",
        "retryable",
        "endpoint",
        "region",
        "started",
        "finished",
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
        "content_hash_shown",
        "headers_sent",
        "body_sent",
        "raw_response",
    ]
    readonly_fields = fields  # type: ignore[assignment]

    def page_title(self, obj: Submission) -> str:
        return submission_title(obj)

    @admin.display(description=_("started at"), ordering="started_at")
    def started(self, obj: Submission) -> str:
        # Date, time and offset each kept whole, so a narrow column breaks only between them.
        parts = local_time(obj.started_at).split(" ")
        return format_html_join(" ", '<span class="nowrap">{}</span>', ((part,) for part in parts))

    @admin.display(description=_("finished at"))
    def finished(self, obj: Submission) -> str:
        return local_time(obj.finished_at)

    @admin.display(description=_("sent by"))
    def sent_by(self, obj: Submission) -> str:
        # A name, not a link: the user pages are for administrators only.
        return obj.actor.get_full_name() or obj.actor.get_username()

    @admin.display(description=_("company"), ordering="filing__company__name")
    def company(self, obj: Submission) -> str:
        return _shortened(obj.filing.company.name, 24)

    @admin.display(description=_("credit code"), ordering="filing__company__credit_code")
    def credit_code(self, obj: Submission) -> str:
        return obj.filing.company.credit_code

    @admin.display(description=_("Volcengine said"))
    def said(self, obj: Submission) -> str:
        return _shortened(describe(obj).said, 40)

    @admin.display(description=_("request body sent (document URLs removed)"))
    def body_sent(self, obj: Submission) -> str:
        return _pre(redact_request_body(obj.request_body, hidden_kinds=_hidden_kinds.get()))

    @admin.display(description=_("headers sent (signature redacted)"))
    def headers_sent(self, obj: Submission) -> str:
        return _pre(json.dumps(obj.request_headers))

    @admin.display(description=_("raw response"))
    def raw_response(self, obj: Submission) -> str:
        return _pre(obj.response_body)

    @admin.display(description=_("content hash"))
    def content_hash_shown(self, obj: Submission) -> str:
        return obj.content_hash


@admin.register(AuditEvent)
class AuditEventAdmin(TitledPages, TrailSearchMixin, ViewerAwareMixin, ExportMixin, ReadOnlyAdmin):
    export_what = "audit"
    list_display = ["seq", "time", "actor_username", "event", "target", "filing_trail"]
    list_filter = [EventKindFilter, FilingFilter, ("created_at", admin.DateFieldListFilter)]
    # The search reads trail.trail_search (indexed lookups); the field named here only makes
    # the admin show the search box.
    search_fields = ["=kind"]
    change_list_template = "admin/filings/auditevent/change_list.html"
    # Every column of an event, the data shown through `event_data` (redacted for the viewer),
    # the time with its offset, the kind with its label, and the columns whose model field has no
    # readable name under a translated one (as the exports name them).
    fields = [
        {
            "data": "event_data",
            "created_at": "time",
            "kind": "event",
            "target_type": "target_kind",
            "filing_id": "filing_number",
            "prev_hash": "previous_hash",
            "hash": "event_hash",
        }.get(name, name)
        for name in EVENT_FIELDS
    ]
    readonly_fields = fields  # type: ignore[assignment]
    show_full_result_count = False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "verify/",
                self.admin_site.admin_view(self.verify_view),
                name="filings_auditevent_verify",
            ),
            *super().get_urls(),
        ]

    def verify_view(self, request: HttpRequest) -> HttpResponseBase:
        return verify_chain_view(self, request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        filing = request.GET.get("filing", "")
        extra_context = {
            **(extra_context or {}),
            "may_verify": may_verify(request),
            "trail_filing": filing if as_id(filing) is not None else "",
        }
        return super().changelist_view(request, extra_context)

    def page_title(self, obj: AuditEvent) -> str:
        return event_title(obj)

    @admin.display(description=_("time"), ordering="created_at")
    def time(self, obj: AuditEvent) -> str:
        return local_time(obj.created_at)

    @admin.display(description=_("event"), ordering="kind")
    def event(self, obj: AuditEvent) -> str:
        return format_html('<span title="{}">{}</span>', obj.kind, event_label(obj.kind))

    @admin.display(description=_("target"))
    def target(self, obj: AuditEvent) -> str:
        return f"{target_name(obj.target_type)} {obj.target_id}"

    @admin.display(description=_("filing"), ordering="filing_id")
    def filing_trail(self, obj: AuditEvent) -> str:
        if obj.filing_id is None:
            return ""
        return format_html(
            '<a class="filing-trail" href="?filing={}" title="{}">#{}</a>',
            obj.filing_id,
            gettext("This filing's trail"),
            obj.filing_id,
        )

    @admin.display(description=_("target type"))
    def target_kind(self, obj: AuditEvent) -> str:
        return target_name(obj.target_type)

    @admin.display(description=_("filing"))
    def filing_number(self, obj: AuditEvent) -> str:
        if obj.filing_id is None:
            return str(self.get_empty_value_display())
        return f"#{obj.filing_id}"

    @admin.display(description=_("previous hash"))
    def previous_hash(self, obj: AuditEvent) -> str:
        return obj.prev_hash

    @admin.display(description=_("hash"))
    def event_hash(self, obj: AuditEvent) -> str:
        return obj.hash

    @admin.display(description=_("data"))
    def event_data(self, obj: AuditEvent) -> str:
        data = redact_event_data(obj.data, hidden_kinds=_hidden_kinds.get())
        return _pre(json.dumps(data, ensure_ascii=False))
