"""Filings: the list, the preparer's form and the filing page; its other pages are mixed in."""

from typing import Any

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.translation import gettext_lazy

from filings import kinds
from filings.admin.documents import DocumentPages
from filings.admin.inlines import CallScriptInline, CompanyAutocomplete, DocumentInline
from filings.admin.reviewing import ReviewPages
from filings.admin.send_pages import SendPages
from filings.admin.workflow_buttons import WorkflowButtons, workflow_buttons
from filings.content import current_documents
from filings.forms import FilingForm
from filings.models import Document, Filing
from filings.outcomes import describe
from filings.preflight import content_checks, sending_checks
from filings.selectors import filing_timeline
from filings.services import editing
from filings.workflow import EDITABLE_STATES, State


@admin.register(Filing)
class FilingAdmin(DocumentPages, ReviewPages, WorkflowButtons, SendPages, admin.ModelAdmin[Filing]):
    form = FilingForm
    list_display = [
        "id",
        "company",
        "credit_code",
        "status",
        "document_count",
        "created_by",
        "updated_at",
    ]
    list_filter = ["status"]
    search_fields = ["company__name", "company__credit_code"]
    list_select_related = ["company", "created_by"]
    autocomplete_fields = ["company"]
    readonly_fields = [
        "status",
        "approved_by_name",
        "approved_at",
        "review_comment",
        "created_by_name",
        "updated_by_name",
    ]
    inlines = [DocumentInline, CallScriptInline]
    actions = ["send_to_volcengine"]
    change_form_template = "admin/filings/filing/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Filing]:
        # A correlated count, not a JOIN + GROUP BY, which would group every filing's documents
        # for each list page and its count.
        current = Document.objects.filter(
            filing=OuterRef("pk"), superseded_at__isnull=True, part=Document.Part.MAIN
        )
        counted = current.order_by().values("filing").annotate(n=Count("pk")).values("n")
        return super().get_queryset(request).annotate(document_count=Coalesce(Subquery(counted), 0))

    @admin.display(description=gettext_lazy("credit code"), ordering="company__credit_code")
    def credit_code(self, obj: Filing) -> str:
        return obj.company.credit_code

    @admin.display(description=gettext_lazy("documents"), ordering="document_count")
    def document_count(self, obj: Filing) -> str:
        needed = len(kinds.kind_of(obj).document_kinds)
        return f"{obj.document_count}/{needed}"  # type: ignore[attr-defined]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "company":
            kwargs["widget"] = CompanyAutocomplete(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # User names, not links: preparers and auditors may not open user pages.
    @admin.display(description=gettext_lazy("approved by"))
    def approved_by_name(self, obj: Filing) -> str:
        return obj.approved_by.get_username() if obj.approved_by else "—"

    @admin.display(description=gettext_lazy("created by"))
    def created_by_name(self, obj: Filing) -> str:
        return obj.created_by.get_username()

    @admin.display(description=gettext_lazy("last edited by"))
    def updated_by_name(self, obj: Filing) -> str:
        return obj.updated_by.get_username()

    def has_change_permission(self, request: HttpRequest, obj: Filing | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status in EDITABLE_STATES)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Filing | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "company"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Filing, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in editing.FILING_FIELDS}
            saved = editing.filing_update(actor=request.user, filing=obj, **fields)
        else:
            saved = editing.filing_create(
                actor=request.user,
                company=data["company"],
                callee_source=data["callee_source"],
                business_carrier=data["business_carrier"],
            )
        # The admin goes on with `obj` (inlines, log entry, redirect): make it the saved row.
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            formset.instance = form.instance
            formset.save()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        filing = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if filing is not None:
            present = current_documents(filing)
            # What sending needs (credentials, URLs) concerns reviewers, not preparers.
            reviewing = request.user.has_perm("filings.review_filing")
            checks = (
                sending_checks(filing, present)
                if reviewing and filing.status in (State.IN_REVIEW, State.APPROVED)
                else content_checks(filing, present)
            )
            latest = filing.submissions.order_by("-started_at").first()
            context.update(
                filing_obj=filing,
                latest_submission=latest,
                latest_outcome=describe(latest) if latest else None,
                checks=checks,
                timeline=filing_timeline(filing),
                button_groups=workflow_buttons(request, filing, present),
            )
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self) -> list[URLPattern]:
        return [
            *self.workflow_urls(),
            *self.send_urls(),
            *self.document_urls(),
            *self.review_urls(),
            *super().get_urls(),
        ]
