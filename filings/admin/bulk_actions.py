"""Bulk actions on the filing list: submit many (preparers), approve many and send many
(reviewers). Like Django's delete_selected, each leads to a confirmation page; the confirming POST
starts a run of background tasks and redirects to its progress page."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils.translation import get_language, gettext_lazy

from filings.admin.base import reported
from filings.bulk import messages as texts
from filings.bulk.models import BulkRun, kind_permission
from filings.bulk.services import MAX_ITEMS, bulk_run_start
from filings.bulk.views import ProgressPages, progress_url
from filings.models import Filing

Kind = BulkRun.Kind
QUESTIONS = {
    Kind.SUBMIT: texts.CONFIRM_SUBMIT,
    Kind.APPROVE: texts.CONFIRM_APPROVE,
    Kind.SEND: texts.CONFIRM_SEND,
}


class BulkActions(ProgressPages):
    """Mixed into FilingAdmin: the three actions and the run pages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # FilingAdmin names its own actions; these join them.
        self.actions = [*(self.actions or ()), "submit_many", "approve_many", "send_many"]

    def get_urls(self) -> list[URLPattern]:
        return [*self.bulk_urls(), *super().get_urls()]

    # Who may use each action: the workflow row of the move its items make.
    def has_bulk_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(kind_permission(Kind.SUBMIT))

    def has_bulk_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(kind_permission(Kind.APPROVE))

    def has_bulk_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(kind_permission(Kind.SEND))

    @admin.action(description=gettext_lazy("Submit many for review"), permissions=["bulk_submit"])
    def submit_many(self, request: HttpRequest, queryset: QuerySet[Filing]) -> HttpResponse | None:
        return self.bulk_start(request, queryset, Kind.SUBMIT)

    @admin.action(description=gettext_lazy("Approve many"), permissions=["bulk_approve"])
    def approve_many(self, request: HttpRequest, queryset: QuerySet[Filing]) -> HttpResponse | None:
        return self.bulk_start(request, queryset, Kind.APPROVE)

    @admin.action(description=gettext_lazy("Send many to Volcengine"), permissions=["bulk_send"])
    def send_many(self, request: HttpRequest, queryset: QuerySet[Filing]) -> HttpResponse | None:
        return self.bulk_start(request, queryset, Kind.SEND)

    def bulk_start(
        self, request: HttpRequest, queryset: QuerySet[Filing], kind: BulkRun.Kind
    ) -> HttpResponse | None:
        """GET-like first call: the confirmation page. The confirming POST: start the run."""
        # One more than the limit is enough to refuse a selection as too large ("select all").
        filings = list(queryset.select_related("company").order_by("pk")[: MAX_ITEMS + 1])
        if len(filings) > MAX_ITEMS:
            messages.error(request, str(texts.TOO_MANY).format(limit=MAX_ITEMS))
            return None
        if request.POST.get("post") == "yes":
            with reported(request):
                run = bulk_run_start(
                    actor=request.user,
                    kind=kind,
                    filing_ids=[filing.pk for filing in filings],
                    language=get_language(),
                )
                messages.success(request, str(texts.STARTED).format(count=len(filings)))
                return HttpResponseRedirect(progress_url(run))
            return None  # the service's refusal is shown on the filing list
        rate = f"{float(settings.VOLC_MAX_REQUESTS_PER_SECOND):g}"
        question = str(QUESTIONS[kind]).format(count=len(filings), rate=rate)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": Kind(kind).label,
            "kind": kind,
            "action_name": f"{kind}_many",
            "question": question,
            "filings": filings,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/bulk/confirm.html", context)
