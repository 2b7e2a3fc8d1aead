"""Companies: created and edited through the services, so every change is audited."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern
from django.utils.translation import gettext_lazy as _

from filings.admin.base import as_id
from filings.admin.numbers import numbers_by_state
from filings.admin.retention import CompanyRetentionPages, legal_hold_state, service_state
from filings.admin.search import ExactSearch
from filings.desk.company import company_desk
from filings.errors import FilingsError
from filings.forms import CompanyForm
from filings.imports.selectors import may_import
from filings.imports.views import ImportPages
from filings.models import Company, Filing
from filings.services.editing import company_create, company_update


@admin.register(Company)
class CompanyAdmin(ExactSearch, ImportPages, CompanyRetentionPages, admin.ModelAdmin[Company]):
    form = CompanyForm
    list_display = ["name", "credit_code", "filing_count", "created_at"]
    search_fields = ["name", "credit_code"]
    credit_code_lookup = "credit_code"
    # Explicit, so the filing form's company autocomplete is ordered too (an unordered one warns
    # with UnorderedObjectListWarning, an error in tests).
    ordering = ["name", "credit_code"]
    readonly_fields = ["created_by_name", "created_at", "updated_at"]
    # Shown on an existing company; changed only through the retention forms.
    retention_fields = ["service_status", "legal_hold_status"]

    def get_urls(self) -> list[URLPattern]:
        return self.import_urls() + self.retention_urls() + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "may_import": may_import(request.user)}
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return fields + self.retention_fields if obj is not None else fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        # A correlated count, not a JOIN + GROUP BY, which would group every company's filings
        # for each list page and its total.
        counted = (
            Filing.objects.filter(company=OuterRef("pk"))
            .order_by()
            .values("company")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(filing_count=Coalesce(Subquery(counted), 0))

    @admin.display(description=_("created by"))
    def created_by_name(self, obj: Company) -> str:
        return obj.created_by.get_username()

    @admin.display(description=_("filings"), ordering="filing_count")
    def filing_count(self, obj: Company) -> int:
        return int(obj.filing_count)  # type: ignore[attr-defined]

    @admin.display(description=_("service"))
    def service_status(self, obj: Company) -> str:
        return service_state(obj)

    @admin.display(description=_("legal hold"))
    def legal_hold_status(self, obj: Company) -> str:
        return legal_hold_state(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A refusal (e.g. a filing of the company is in review) comes from save_model, after the
        # form was valid: show it on the page again rather than as a server error.
        extra_context = {**(extra_context or {}), **self.retention_context(request)}
        pk = as_id(object_id)
        company = Company.objects.filter(pk=pk).first() if pk is not None else None
        if company is not None and request.user.has_perm("filings.view_phonenumber"):
            extra_context["numbers_by_state"] = numbers_by_state(company)
        if company is not None and request.user.has_perm("filings.view_filing"):
            extra_context["desk"] = company_desk(company)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except FilingsError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)

    def save_model(self, request: HttpRequest, obj: Company, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = company_update(
                actor=request.user, company=obj, name=data["name"], credit_code=data["credit_code"]
            )
        else:
            saved = company_create(
                actor=request.user, name=data["name"], credit_code=data["credit_code"]
            )
        obj.pk = saved.pk
        obj.refresh_from_db()
