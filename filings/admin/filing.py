"""Filings: the list, the preparer's form and the filing page; its other pages are mixed in.

The filing page reads top to bottom: its status and next step (checklist, workflow buttons),
then what it says (fields, documents, scripts or numbers) with the save bar, then its history
(the audit trail). Django's own change log ("History" button) is not shown: the audit trail is
the one history.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms import BaseForm, BaseFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy

from filings import kinds
from filings.admin.bulk_actions import BulkActions
from filings.admin.decision_pages import DecisionPages
from filings.admin.documents import DocumentPages
from filings.admin.inlines import CallScriptInline, CompanyAutocomplete, DocumentInline
from filings.admin.number_inlines import FilingNumberInline
from filings.admin.reviewing import ReviewPages, history_rows
from filings.admin.search import ExactSearch
from filings.admin.send_pages import SendPages
from filings.admin.workflow_buttons import WorkflowButtons, workflow_buttons
from filings.content import current_documents, current_links
from filings.forms import FilingForm
from filings.models import Document, Filing
from filings.outcomes import describe
from filings.preflight import content_checks, sending_checks
from filings.services import editing
from filings.services.decisions import latest_decision, open_reasons, reason_labels, reason_text
from filings.workflow import EDITABLE_STATES, State


@dataclass(frozen=True)
class FormError:
    """One problem of a submitted form, for the list at the top of the page."""

    anchor: str  # the id of the field (or row, or form) it concerns
    label: str
    message: str


def form_errors(form: BaseForm, formsets: list[BaseFormSet[Any]], form_id: str) -> list[FormError]:
    """Every error of the form and its inline formsets, each pointing at its field."""
    found: list[FormError] = []

    def add(bound: BaseForm, fallback: str, prefix: str) -> None:
        for name, problems in bound.errors.items():
            if name == NON_FIELD_ERRORS or name not in bound.fields:
                anchor, label = fallback, prefix
            else:
                field = bound[name]
                anchor = field.id_for_label or fallback
                label = " · ".join(part for part in (prefix, str(field.label or name)) if part)
            found.extend(FormError(anchor, label, str(problem)) for problem in problems)

    add(form, form_id, "")
    for formset in formsets:
        group = f"{formset.prefix}-group"
        name = str(formset.model._meta.verbose_name)  # type: ignore[attr-defined]
        found.extend(FormError(group, name, str(p)) for p in formset.non_form_errors())
        for number, row in enumerate(formset.forms, start=1):
            add(row, f"{formset.prefix}-{number - 1}", f"{name} {number}")
    return found


@admin.register(Filing)
class FilingAdmin(
    ExactSearch, DocumentPages, ReviewPages, WorkflowButtons, SendPages, DecisionPages, BulkActions
):
    form = FilingForm
    list_display = [
        "id",
        "kind",
        "company",
        "credit_code",
        "status",
        "document_count",
        "created_by",
        "updated_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["company__name", "company__credit_code"]
    credit_code_lookup = "company__credit_code"
    list_select_related = ["company", "created_by"]
    autocomplete_fields = ["company"]
    actions = ["send_to_volcengine"]
    change_form_template = "admin/filings/filing/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Filing]:
        # A correlated count, not a JOIN + GROUP BY, which would group every filing's documents
        # for each list page and its count.
        current = current_links(filing=OuterRef("pk"), part=Document.Part.MAIN)
        counted = current.order_by().values("filing").annotate(n=Count("pk")).values("n")
        return super().get_queryset(request).annotate(document_count=Coalesce(Subquery(counted), 0))

    def action_checkbox(self, obj: Filing) -> SafeString:
        """Django's checkbox of a row, the same HTML made by format_html: rendering the
        CheckboxInput widget's template for each of the hundred rows took a third of the page."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

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

    # The form: the company, and the fields the filing's kind lets a preparer edit. New filings
    # made here are company filings; number filings start on a company's numbers list.
    def get_fields(self, request: HttpRequest, obj: Filing | None = None) -> Any:
        if obj is None:
            return ["company", *kinds.COMPANY_FILING.fields]
        shown = ["company"]
        if obj.kind == Filing.Kind.NUMBER:
            shown.append("number_action")
        return [*shown, *kinds.kind_of(obj).fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Filing | None = None) -> list[str]:
        return ["company", "number_action"] if obj is not None else []

    def get_form(
        self, request: HttpRequest, obj: Filing | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """A rework's form shows Volcengine's reasons under the fields they name."""
        form = super().get_form(request, obj, change, **kwargs)
        reasons = open_reasons(obj) if obj is not None else {}
        for name, field in form.base_fields.items():
            if name in reasons:
                said = "; ".join(reason_text(label, text) for label, text in reasons[name])
                field.help_text = format_html(
                    '<span class="decline-reason">{}: {}</span> {}',
                    gettext("Volcengine declined"),
                    said,
                    field.help_text,
                )
        return form

    def get_inlines(self, request: HttpRequest, obj: Filing | None) -> list[type[Any]]:
        if obj is not None and obj.kind == Filing.Kind.NUMBER:
            return [DocumentInline, FilingNumberInline]
        if obj is None:
            return [CallScriptInline]
        return [DocumentInline, CallScriptInline]

    def has_change_permission(self, request: HttpRequest, obj: Filing | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status in EDITABLE_STATES)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Filing, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in kinds.kind_of(obj).fields}
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

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Filing | None = None,
    ) -> Any:
        formsets = [inline.formset for inline in context.get("inline_admin_formsets", [])]
        context["form_errors"] = form_errors(
            context["adminform"].form, formsets, f"{self.opts.model_name}_form"
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        filing = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if filing is not None:
            present = current_documents(filing)
            kind = kinds.kind_of(filing)
            # What sending needs (credentials, URLs) concerns reviewers, not preparers.
            reviewing = request.user.has_perm("filings.review_filing")
            checks = (
                sending_checks(filing, present)
                if reviewing and filing.status in (State.IN_REVIEW, State.APPROVED)
                else content_checks(filing, present)
            )
            latest = filing.submissions.order_by("-started_at").first()
            decision = latest_decision(filing)
            context.update(
                decision=decision,
                decision_reasons=[
                    reason_text(label, text) for label, text in reason_labels(filing, decision)
                ],
                open_reasons=open_reasons(filing),
                filing_obj=filing,
                documents_present=len(present),
                documents_needed=len(kind.document_kinds),
                latest_submission=latest,
                latest_outcome=describe(latest) if latest else None,
                checks=checks,
                checks_missing=sum(not check.ok for check in checks),
                history=history_rows(request, filing),
                button_groups=workflow_buttons(request, filing, present),
            )
        return super().change_view(request, object_id, form_url, context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """The filing's history is its audit trail, at the bottom of the filing page."""
        page = reverse("admin:filings_filing_change", args=[object_id])
        return HttpResponseRedirect(f"{page}#history")

    def get_urls(self) -> list[URLPattern]:
        return [
            *self.workflow_urls(),
            *self.send_urls(),
            *self.decision_urls(),
            *self.document_urls(),
            *self.review_urls(),
            *super().get_urls(),
        ]
