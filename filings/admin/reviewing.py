"""The reviewer's pages: the queue of filings they may approve (and its count), one filing's
review page, and the filing's history as the filing and review pages show it."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from filings import kinds
from filings.admin.workflow_buttons import workflow_buttons
from filings.audit.labels import event_label
from filings.content import current_documents, filing_content
from filings.four_eyes import has_changed
from filings.models import Document, Filing
from filings.preflight import sending_checks
from filings.selectors import filing_timeline, review_queue
from filings.services.decisions import justification_needed, reason_labels, reason_text
from filings.workflow import Action


@dataclass(frozen=True)
class HistoryRow:
    """One audit event of a filing, named in words, with a link to the event (or none)."""

    seq: int
    time: datetime
    actor: str
    kind: str
    label: str
    url: str


def history_rows(request: HttpRequest, filing: Filing) -> list[HistoryRow]:
    """The filing's audit trail; rows link to their event for those who may open events."""
    may_open = request.user.has_perm("filings.view_auditevent")
    return [
        HistoryRow(
            seq=event.seq,
            time=event.created_at,
            actor=event.actor_username,
            kind=event.kind,
            label=event_label(event.kind),
            url=reverse("admin:filings_auditevent_change", args=[event.pk]) if may_open else "",
        )
        for event in filing_timeline(filing)
    ]


class ReviewPages:
    """Mixed into FilingAdmin: the review queue and the review page."""

    admin_site: Any
    opts: Any

    def review_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("review-queue/", view(self.review_queue_view), name="filings_filing_review_queue"),
            path(
                "review-queue/count/",
                view(self.review_queue_count_view),
                name="filings_filing_review_queue_count",
            ),
            path("<int:pk>/review/", view(self.review_view), name="filings_filing_review"),
        ]

    def _require_reviewer(self, request: HttpRequest) -> None:
        if not request.user.has_perm("filings.review_filing"):
            raise PermissionDenied

    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        self._require_reviewer(request)
        filings = list(review_queue(int(request.user.pk or 0)))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Review queue (%(count)s)") % {"count": len(filings)},
            "filings": filings,
        }
        return TemplateResponse(request, "admin/filings/filing/review_queue.html", context)

    def review_queue_count_view(self, request: HttpRequest) -> HttpResponse:
        """How many filings the queue holds for this reviewer (one COUNT query), for the count
        next to the queue's link in the top bar (static/filings/confirm.js asks for it)."""
        self._require_reviewer(request)
        return JsonResponse({"count": review_queue(int(request.user.pk or 0)).count()})

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_reviewer(request)
        filing = get_object_or_404(Filing.objects.select_related("company", "created_by"), pk=pk)
        own_work = has_changed(filing.pk, request.user.pk)
        present = current_documents(filing)
        order = kinds.kind_of(filing).document_kinds
        documents = sorted(present.values(), key=lambda d: order.index(d.kind))
        # The licence is shown beside the name and code typed for the company, to compare.
        licence = present.get(Document.Kind.BUSINESS_LICENSE)
        groups = workflow_buttons(request, filing, present, own_work=own_work)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Review filing #%(id)s") % {"id": filing.pk},
            "filing": filing,
            "licence": licence,
            "documents": [document for document in documents if document != licence],
            "content": json.dumps(filing_content(filing, present), ensure_ascii=False, indent=2),
            "checks": sending_checks(filing, present),
            "history": history_rows(request, filing),
            "own_work": own_work,
            "button_groups": groups,
            "may_approve": any(m.action == Action.APPROVE for g in groups for m in g.moves),
            "decisions": [
                (decision, [reason_text(*r) for r in reason_labels(filing, decision)])
                for decision in filing.decisions.select_related("recorded_by").order_by("attempt")
            ],
            "justification_needed": justification_needed(filing),
        }
        return TemplateResponse(request, "admin/filings/filing/review.html", context)
