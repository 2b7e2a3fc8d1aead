"""The reviewer's pages: the queue of filings they may approve, and one filing's review page."""

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from filings import kinds
from filings.admin.workflow_buttons import workflow_buttons
from filings.content import current_documents, filing_content
from filings.four_eyes import has_changed
from filings.models import Filing
from filings.preflight import sending_checks
from filings.selectors import filing_timeline, review_queue
from filings.workflow import Action


class ReviewPages:
    """Mixed into FilingAdmin: the review queue and the review page."""

    admin_site: Any
    opts: Any

    def review_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("review-queue/", view(self.review_queue_view), name="filings_filing_review_queue"),
            path("<int:pk>/review/", view(self.review_view), name="filings_filing_review"),
        ]

    def _require_reviewer(self, request: HttpRequest) -> None:
        if not request.user.has_perm("filings.review_filing"):
            raise PermissionDenied

    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        self._require_reviewer(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Review queue"),
            "filings": review_queue(int(request.user.pk or 0)),
        }
        return TemplateResponse(request, "admin/filings/filing/review_queue.html", context)

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_reviewer(request)
        filing = get_object_or_404(Filing.objects.select_related("company", "created_by"), pk=pk)
        own_work = has_changed(filing.pk, request.user.pk)
        present = current_documents(filing)
        order = kinds.kind_of(filing).document_kinds
        documents = sorted(present.values(), key=lambda d: order.index(d.kind))
        groups = workflow_buttons(request, filing, present, own_work=own_work)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Review filing #%(id)s") % {"id": filing.pk},
            "filing": filing,
            "documents": documents,
            "content": json.dumps(filing_content(filing, present), ensure_ascii=False, indent=2),
            "checks": sending_checks(filing, present),
            "timeline": filing_timeline(filing),
            "own_work": own_work,
            "button_groups": groups,
            "may_approve": any(m.action == Action.APPROVE for g in groups for m in g.moves),
        }
        return TemplateResponse(request, "admin/filings/filing/review.html", context)
