"""Volcengine's decisions, as reviewers recorded them: a read-only list for everyone who reads
filings (recorded on the filing's decision page, never here)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from filings.admin.base import ReadOnlyAdmin
from filings.models import Decision, DecisionReason


class ReasonInline(admin.TabularInline[DecisionReason, Decision]):
    model = DecisionReason
    extra = 0
    can_delete = False
    fields = ["code", "target", "number", "text"]
    readonly_fields = fields  # type: ignore[assignment]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "filing_link", "company", "attempt", "outcome", "decided_on"]
    list_filter = ["outcome", "filing__kind"]
    search_fields = ["=filing__company__credit_code", "filing__company__name"]
    list_select_related = ["filing__company", "recorded_by"]
    date_hierarchy = "recorded_at"
    inlines = [ReasonInline]
    fields = [
        "filing",
        "attempt",
        "outcome",
        "decided_on",
        "evidence",
        "recorded_by",
        "recorded_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        return super().get_queryset(request).select_related("filing__company", "recorded_by")

    @admin.display(description=_("filing"), ordering="filing_id")
    def filing_link(self, obj: Decision) -> str:
        url = reverse("admin:filings_filing_change", args=[obj.filing_id])
        return format_html('<a href="{}">#{}</a>', url, obj.filing_id)

    @admin.display(description=_("company"), ordering="filing__company__name")
    def company(self, obj: Decision) -> str:
        return obj.filing.company.name
