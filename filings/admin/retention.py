"""A company's retention on its admin page: end or resume the service, set or release a hold.

Mixed into CompanyAdmin. Everyone who sees the company sees the state; administrators get the
forms, each a POST to a thin view that calls the service (which checks the permission itself).
"""

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.admin.base import reported
from filings.errors import SERVICE_END_DATE_INVALID, FilingsError
from filings.models import Company
from filings.services import retention

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def service_state(company: Company) -> str:
    if company.service_ended_on is None:
        return _("In service")
    ended_by = company.service_ended_by
    return _("Ended on %(date)s by %(user)s: %(reason)s") % {
        "date": date_format(company.service_ended_on),
        "user": ended_by.get_username() if ended_by else "?",
        "reason": company.service_end_reason,
    }


def legal_hold_state(company: Company) -> str:
    if not company.legal_hold:
        return _("None")
    return _("Held: %(reason)s") % {"reason": company.legal_hold_reason}


def _ended_on(request: HttpRequest) -> date:
    raw = request.POST.get("ended_on", "").strip()
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        raise FilingsError(str(SERVICE_END_DATE_INVALID)) from None


class CompanyRetentionPages:
    """Mixed into CompanyAdmin: URLs and views of the retention forms."""

    admin_site: Any

    def retention_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                f"<int:pk>/{name.replace('_', '-')}/",
                view(self._retention_view(action, done)),
                name=f"filings_company_{name}",
            )
            for name, action, done in (
                ("end_service", self._end_service, gettext_lazy("The service ended.")),
                ("resume_service", self._resume_service, gettext_lazy("The service resumed.")),
                ("set_legal_hold", self._set_hold, gettext_lazy("The legal hold is set.")),
                (
                    "release_legal_hold",
                    self._release_hold,
                    gettext_lazy("The legal hold is released."),
                ),
            )
        ]

    def retention_context(self, request: HttpRequest) -> dict[str, Any]:
        user = request.user
        return {
            "retention_actions": bool(user.is_active and user.is_superuser),
            "today": timezone.localdate().isoformat(),
        }

    def _retention_view(
        self, action: Callable[[HttpRequest, Company], object], done: "StrOrPromise"
    ) -> Callable[[HttpRequest, int], HttpResponse]:
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            if request.method != "POST":
                return HttpResponse(status=405, headers={"Allow": "POST"})
            company = get_object_or_404(Company, pk=pk)
            with reported(request):
                action(request, company)
                messages.success(request, str(done))
            return HttpResponseRedirect(reverse("admin:filings_company_change", args=[pk]))

        return view

    def _end_service(self, request: HttpRequest, company: Company) -> object:
        return retention.company_end_service(
            actor=request.user,
            company=company,
            ended_on=_ended_on(request),
            reason=request.POST.get("reason", ""),
        )

    def _resume_service(self, request: HttpRequest, company: Company) -> object:
        return retention.company_resume_service(
            actor=request.user, company=company, reason=request.POST.get("reason", "")
        )

    def _set_hold(self, request: HttpRequest, company: Company) -> object:
        return retention.company_set_legal_hold(
            actor=request.user, company=company, reason=request.POST.get("reason", "")
        )

    def _release_hold(self, request: HttpRequest, company: Company) -> object:
        return retention.company_release_legal_hold(
            actor=request.user, company=company, reason=request.POST.get("reason", "")
        )
