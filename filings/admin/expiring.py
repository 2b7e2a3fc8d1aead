"""Documents to renew: per company, the current documents that expire within 30 days or did."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.admin.base import ReadOnlyAdmin
from filings.models import ExpiringDocument
from filings.selectors import EXPIRY_WARNING_DAYS, expiring_documents

VIEW_PERM = "filings.view_document"


@admin.register(ExpiringDocument)
class ExpiringDocumentAdmin(ReadOnlyAdmin):
    """A read-only page instead of a changelist: the rows are grouped by company."""

    # Whoever may see documents may see which ones expire (no images, no file names here).
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm(VIEW_PERM)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.changelist_view)
        # The index links to the changelist's name; both names lead to this page.
        return [
            path("", view, name="filings_expiring_documents"),
            path("", view, name="filings_expiringdocument_changelist"),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        companies = expiring_documents(today)
        documents = [item for company in companies for item in company.documents]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Documents to renew"),
            "today": today,
            "warning_days": EXPIRY_WARNING_DAYS,
            "companies": companies,
            "company_count": len(companies),
            "document_count": len(documents),
            "expired_count": sum(item.expired for item in documents),
        }
        return TemplateResponse(request, "admin/filings/expiringdocument/list.html", context)
