"""A run's progress page, its JSON for live updates (static/filings/bulk.js) and its cancel
button: admin views mixed into FilingAdmin by filings.admin.bulk_actions."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filings.admin.base import reported
from filings.bulk.models import BulkRun
from filings.bulk.selectors import may_follow, run_progress
from filings.bulk.services import bulk_run_cancel
from filings.models import Filing


def progress_url(run: BulkRun) -> str:
    return reverse("admin:filings_filing_bulk_progress", args=[run.pk])


class ProgressPages(admin.ModelAdmin[Filing]):
    """The pages of a bulk run, under the filing list's URLs."""

    def bulk_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "bulk/<int:run_id>/",
                view(self.bulk_progress_view),
                name="filings_filing_bulk_progress",
            ),
            path(
                "bulk/<int:run_id>/status/",
                view(self.bulk_status_view),
                name="filings_filing_bulk_status",
            ),
            path(
                "bulk/<int:run_id>/cancel/",
                view(require_POST(self.bulk_cancel_view)),
                name="filings_filing_bulk_cancel",
            ),
        ]

    def _followed_run(self, request: HttpRequest, run_id: int) -> BulkRun:
        run = get_object_or_404(BulkRun.objects.select_related("actor"), pk=run_id)
        if not may_follow(request.user, run):
            raise PermissionDenied
        return run

    def bulk_progress_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._followed_run(request, run_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("%(action)s: run #%(run)s")
            % {"action": run.get_kind_display(), "run": run.pk},
            "run": run,
            "progress": run_progress(run),
        }
        return TemplateResponse(request, "admin/bulk/progress.html", context)

    def bulk_status_view(self, request: HttpRequest, run_id: int) -> JsonResponse:
        # Never cached: admin_view marks every admin page so.
        return JsonResponse(run_progress(self._followed_run(request, run_id)))

    def bulk_cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._followed_run(request, run_id)
        with reported(request):
            skipped = bulk_run_cancel(actor=request.user, run=run)
            messages.success(
                request,
                _("Cancelled: %(count)s waiting filings were skipped.") % {"count": skipped},
            )
        return HttpResponseRedirect(progress_url(run))
