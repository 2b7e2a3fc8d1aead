"""The send action and its confirmation page: the first POST never sends; the confirming one
sends once and reports the outcome."""

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.admin.base import reported
from filings.errors import FilingsError
from filings.models import Filing
from filings.outcomes import describe
from filings.preflight import sending_checks
from filings.services import sending
from filings.workflow import SEND, Action, State, check_transition

MESSAGE_LEVELS = {"success": messages.SUCCESS, "warning": messages.WARNING, "error": messages.ERROR}


def not_ready_text(filing: Filing, *, sent: bool) -> str:
    """What the send page says instead of its question when the filing is not ready to send."""
    status = filing.get_status_display()
    if sent:
        return _("This filing has been sent: it is now “%(status)s”. Nothing more to send.") % {
            "status": status
        }
    return _("This filing is “%(status)s”: only an approved filing can be sent.") % {
        "status": status
    }


class SendPages:
    """Mixed into FilingAdmin: the admin action, the confirmation page and the send."""

    admin_site: Any
    opts: Any
    message_user: Any

    @admin.action(description=gettext_lazy("Send to Volcengine"), permissions=["send"])
    def send_to_volcengine(self, request: HttpRequest, queryset: QuerySet[Filing]) -> Any:
        """Like Django's delete_selected: it leads to a confirmation page and never sends."""
        filings = list(queryset.select_related("company"))
        if len(filings) != 1:
            self.message_user(
                request, _("Send one filing at a time: select exactly one."), messages.WARNING
            )
            return None
        return HttpResponseRedirect(reverse("admin:filings_filing_send", args=[filings[0].pk]))

    def send_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [path("<int:pk>/send/", view(self.send_view), name="filings_filing_send")]

    def has_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(SEND)

    def send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: the confirmation page with pre-flight results, exact body and signed headers.
        POST with confirm: send once and show the outcome."""
        if not self.has_send_permission(request):
            raise PermissionDenied
        filing = get_object_or_404(Filing.objects.select_related("company"), pk=pk)
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            with reported(request):
                outcome = describe(sending.filing_send(actor=request.user, filing=filing))
                messages.add_message(request, MESSAGE_LEVELS[outcome.tone], outcome.summary)
            return HttpResponseRedirect(reverse("admin:filings_filing_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "filing": filing,
            "title": _("Send to Volcengine"),
        }
        if filing.status != State.APPROVED:
            # Nothing to confirm: say what the filing's state is, and what its last send did.
            latest = filing.submissions.order_by("-started_at").first()
            context.update(
                not_ready=not_ready_text(filing, sent=latest is not None),
                latest_submission=latest,
                latest_outcome=describe(latest) if latest else None,
            )
            return TemplateResponse(request, "admin/filings/filing/send_confirmation.html", context)
        checks = sending_checks(filing)
        context.update(
            checks=checks,
            question=check_transition(Action.START_SENDING, State.APPROVED).confirm,
        )
        try:
            prepared = sending.prepare_send(filing, checks)
        except FilingsError as exc:
            context["blocked"] = exc.message
        else:
            context.update(
                body=prepared.body_text,
                pretty_body=json.dumps(json.loads(prepared.body), ensure_ascii=False, indent=2),
                signed_headers=prepared.signed_headers,
                target=prepared.target,
                url=prepared.url,
            )
        return TemplateResponse(request, "admin/filings/filing/send_confirmation.html", context)
