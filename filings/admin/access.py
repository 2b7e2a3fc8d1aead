"""Who saw which ID image, and who fetched which document URL: read-only, filterable, exported."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from filings.admin.base import ReadOnlyAdmin
from filings.admin.history import ExportMixin
from filings.admin.trail import EventKindFilter
from filings.audit.labels import event_label
from filings.models import Document, DocumentAccess
from filings.templatetags.portal_time import local_time


class AccessKindFilter(EventKindFilter):
    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [(kind, event_label(kind)) for kind in DocumentAccess.KINDS]


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ExportMixin, ReadOnlyAdmin):
    export_what = "access"
    list_display = ["seq", "time", "event", "who", "document_kind", "filing_id", "thumbnail"]
    list_filter = [AccessKindFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "target_id", "=filing_id"]
    change_list_template = "admin/filings/export_change_list.html"
    fields = ["seq", "time", "event", "who", "document_kind", "filing_id", "data", "hash"]
    readonly_fields = fields  # type: ignore[assignment]
    show_full_result_count = False

    # The events belong to the audit trail: whoever may read it may read these.
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("filings.view_auditevent")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.display(description=_("time"), ordering="created_at")
    def time(self, obj: DocumentAccess) -> str:
        return local_time(obj.created_at)

    @admin.display(description=_("event"), ordering="kind")
    def event(self, obj: DocumentAccess) -> str:
        return event_label(obj.kind)

    @admin.display(description=_("who"), ordering="actor_username")
    def who(self, obj: DocumentAccess) -> str:
        if obj.actor_username:
            return obj.actor_username
        data = obj.data or {}
        return f"{data.get('remote_addr', '?')} · {data.get('user_agent', '')}".strip(" ·")

    @admin.display(description=_("document"))
    def document_kind(self, obj: DocumentAccess) -> str:
        kind = (obj.data or {}).get("kind", "")
        return str(Document.Kind(kind).label) if kind in Document.Kind.values else str(kind)

    @admin.display(description=_("thumbnail"), boolean=True)
    def thumbnail(self, obj: DocumentAccess) -> bool | None:
        return (obj.data or {}).get("thumbnail")
