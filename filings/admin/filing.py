"""Filings: the preparer's form, the document page, the workflow buttons and the send action."""

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.admin.base import reported
from filings.admin.documents import DocumentPages
from filings.admin.reviewing import ReviewPages, approve_form
from filings.content import current_documents
from filings.errors import FilingsError
from filings.forms import ApproveForm, CallScriptForm, CommentForm, FilingForm, ResolveForm
from filings.models import CallScript, Document, Filing
from filings.preflight import content_checks, sending_checks
from filings.selectors import filing_timeline
from filings.services import editing, review, sending
from filings.workflow import EDITABLE_STATES, State


class DocumentInline(admin.TabularInline[Document, Filing]):
    model = Document
    extra = 0
    can_delete = False
    fields = ["preview", "kind", "part", "size", "pixels", "sha_prefix"]
    readonly_fields = fields  # type: ignore[assignment]
    verbose_name_plural = gettext_lazy("documents (upload and replace on the documents page)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).filter(superseded_at__isnull=True)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj: Document) -> str:
        if obj.is_sensitive and not self._may_see_sensitive:
            return _("hidden (ID card)")
        url = reverse("document-image", args=[obj.uuid])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}?thumb=1" alt="" '
            'class="doc-thumb"></a>',
            url,
            url,
        )

    @admin.display(description=gettext_lazy("pixels"))
    def pixels(self, obj: Document) -> str:
        return f"{obj.width}×{obj.height}"

    @admin.display(description="SHA-256")
    def sha_prefix(self, obj: Document) -> str:
        return obj.sha256[:12] + "…"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        self._may_see_sensitive = request.user.has_perm("filings.view_sensitive_document")
        return super().get_formset(request, obj, **kwargs)


class ScriptFormSet(BaseInlineFormSet[CallScript, Filing, CallScriptForm]):
    """Saves scripts through the services (one audited change each), not model.save()."""

    request: HttpRequest

    def save(self, commit: bool = True) -> list[CallScript]:
        actor = self.request.user
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.initial_forms:
            if form in self.deleted_forms:
                editing.script_delete(actor=actor, script=form.instance)
                self.deleted_objects.append(form.instance)
            elif form.has_changed():
                data = {k: form.cleaned_data[k] for k in ("position", "scene", "content")}
                editing.script_update(actor=actor, script=form.instance, **data)
                self.changed_objects.append((form.instance, form.changed_data))
        for form in self.extra_forms:
            if form.has_changed() and form not in self.deleted_forms:
                script = editing.script_add(
                    actor=actor,
                    filing=self.instance,
                    scene=form.cleaned_data["scene"],
                    content=form.cleaned_data["content"],
                )
                self.new_objects.append(script)
        return self.new_objects


class CallScriptInline(admin.TabularInline[CallScript, Filing]):
    model = CallScript
    form = CallScriptForm
    formset = ScriptFormSet  # type: ignore[assignment]
    extra = 1

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request  # type: ignore[attr-defined]
        return formset


class CompanyAutocomplete(AutocompleteSelect):
    """Django's widget looks the submitted value up again to show it; a forged value that is no
    company id (e.g. "1 OR 1=1") made that query raise, so the form error became a 500."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        usable = []
        for item in value:
            try:
                self.field.target_field.to_python(item)
            except ValidationError:
                continue
            usable.append(item)
        return super().optgroups(name, usable, attr)


@admin.register(Filing)
class FilingAdmin(DocumentPages, ReviewPages, admin.ModelAdmin[Filing]):
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
        # A correlated count, not a JOIN + GROUP BY: that grouped every filing's documents on
        # each list page and count (bench/bench_admin.py, docs/PERFORMANCE.md).
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
        return f"{obj.document_count}/{len(Document.Kind)}"  # type: ignore[attr-defined]

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
            buttons = self._buttons(request, filing)
            context.update(
                filing_obj=filing,
                latest_submission=filing.submissions.order_by("-started_at").first(),
                checks=checks,
                timeline=filing_timeline(filing),
                buttons=buttons,
                approve_form=approve_form(filing, present) if "approve" in buttons else None,
                comment_form=CommentForm(),
                resolve_form=ResolveForm(),
            )
        return super().change_view(request, object_id, form_url, context)

    def _buttons(self, request: HttpRequest, filing: Filing) -> set[str]:
        user = request.user
        can_edit = user.has_perm("filings.change_filing")
        can_review = user.has_perm("filings.review_filing")
        shown = {
            State.DRAFT: {"submit"} if can_edit else set(),
            State.IN_REVIEW: ({"withdraw"} if can_edit else set())
            | ({"approve", "request_changes"} if can_review else set()),
            State.APPROVED: {"send"} if user.has_perm("filings.send_filing") else set(),
            State.UNKNOWN: {"resolve"} if can_review else set(),
            State.REJECTED: {"rework"} if can_edit else set(),
        }
        return shown.get(State(filing.status), set())

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/act/<str:action>/", view(self.act_view), name="filings_filing_act"),
            path("<int:pk>/send/", view(self.send_view), name="filings_filing_send"),
            *self.document_urls(),
            *self.review_urls(),
            *super().get_urls(),
        ]

    def _change_url(self, filing_id: int) -> str:
        return reverse("admin:filings_filing_change", args=[filing_id])

    def act_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """One workflow button: POST only; the service checks permissions and state."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        filing = get_object_or_404(Filing, pk=pk)
        if not self.has_view_permission(request, filing):
            raise PermissionDenied
        actor = request.user

        def ok(text: str) -> None:
            messages.success(request, text)

        with reported(request):
            if action == "submit":
                review.filing_submit(actor=actor, filing=filing)
                ok(_("Submitted for review."))
            elif action == "withdraw":
                review.filing_withdraw(actor=actor, filing=filing)
                ok(_("Withdrawn: the filing is a draft again."))
            elif action == "approve":
                # The hash of the content the reviewer's page showed; missing, it matches nothing.
                approve_form = ApproveForm(request.POST)
                seen = approve_form.cleaned_data["content_hash"] if approve_form.is_valid() else ""
                review.filing_approve(actor=actor, filing=filing, seen_hash=seen)
                ok(_("Approved. It can now be sent to Volcengine."))
            elif action == "request_changes":
                # The comment form's length limit holds on the server, not only in the browser.
                comment_form = CommentForm(request.POST)
                if comment_form.has_error("comment", "max_length"):
                    messages.error(request, " ".join(map(str, comment_form.errors["comment"])))
                else:
                    review.filing_request_changes(
                        actor=actor, filing=filing, comment=request.POST.get("comment", "")
                    )
                    ok(_("Changes requested: the preparer sees your comment."))
            elif action == "resolve":
                form = ResolveForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Choose what happened and give the evidence."))
                else:
                    review.filing_resolve(actor=actor, filing=filing, **form.cleaned_data)
                    ok(_("Outcome recorded."))
            elif action == "rework":
                review.filing_rework(actor=actor, filing=filing)
                ok(_("The filing is a draft again: fix it and submit it for review."))
            else:
                return HttpResponse(status=404)
        return HttpResponseRedirect(self._change_url(pk))

    @admin.action(description=gettext_lazy("Send to Volcengine"), permissions=["send"])
    def send_to_volcengine(self, request: HttpRequest, queryset: QuerySet[Filing]) -> Any:
        """Like delete_selected: the first POST shows the confirmation page; it never sends."""
        filings = list(queryset.select_related("company"))
        if len(filings) != 1:
            self.message_user(
                request, _("Send one filing at a time: select exactly one."), messages.WARNING
            )
            return None
        return HttpResponseRedirect(reverse("admin:filings_filing_send", args=[filings[0].pk]))

    def has_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("filings.send_filing")

    def send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: the confirmation page with pre-flight results, exact body and signed headers.
        POST with confirm: send once and show the outcome."""
        if not self.has_send_permission(request):
            raise PermissionDenied
        filing = get_object_or_404(Filing.objects.select_related("company"), pk=pk)
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            with reported(request):
                submission = sending.filing_send(actor=request.user, filing=filing)
                level = messages.SUCCESS if submission.outcome == "ACCEPTED" else messages.ERROR
                messages.add_message(request, level, _submission_summary(submission))
            return HttpResponseRedirect(self._change_url(pk))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "filing": filing,
            "title": _("Send to Volcengine"),
            "checks": sending_checks(filing),
        }
        try:
            prepared = sending.prepare_send(filing)
        except FilingsError as exc:
            context["blocked"] = exc.message
        else:
            context.update(
                body=prepared.body_text,
                pretty_body=_pretty(prepared.body_text),
                signed_headers=prepared.signed_headers,
                target=prepared.target,
            )
        return TemplateResponse(request, "admin/filings/filing/send_confirmation.html", context)


def _pretty(body: str) -> str:
    return json.dumps(json.loads(body), ensure_ascii=False, indent=2)


def _submission_summary(submission: Any) -> str:
    said = submission.error_message or submission.result_message or submission.transport_error or ""
    return _("Outcome: %(outcome)s · HTTP %(status)s · RequestId %(rid)s · %(said)s") % {
        "outcome": submission.get_outcome_display(),
        "status": submission.http_status or "—",
        "rid": submission.provider_request_id or "—",
        "said": said,
    }
