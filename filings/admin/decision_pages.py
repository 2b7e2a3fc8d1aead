"""The page where a reviewer records Volcengine's decision on a submitted filing."""

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.errors import FilingsError
from filings.models import Decision, Filing
from filings.phone_numbers import InvalidNumber, normalise
from filings.services.decisions import filing_record_decision, grouped_reasons
from filings.workflow import REVIEW, State

# A refused number as written (digits, spaces, +, dashes, brackets), then its reason.
NUMBER_THEN_REASON = re.compile(r"^\s*([+(0-9][0-9\s()+\-]*[0-9])\s*(.*)$")


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Volcengine's decision"),
        choices=Decision.Outcome.choices,
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(
        label=gettext_lazy("decided on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence (ticket number, the message Volcengine sent)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Reasons (for a decline)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    details = forms.CharField(
        label=gettext_lazy("Details of the reasons"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept with every reason ticked; needed for “other”."),
    )
    failed_numbers = forms.CharField(
        label=gettext_lazy("Numbers Volcengine refused (number filings filed with exceptions)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One a line: the number, then its reason, e.g. “13812345678 实名不一致”."
        ),
    )

    def __init__(self, filing: Filing, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filing = filing
        reasons = self.fields["reasons"]
        assert isinstance(reasons, forms.MultipleChoiceField)  # noqa: S101  # nosec B101
        reasons.choices = grouped_reasons(filing)
        if filing.kind != Filing.Kind.NUMBER:
            del self.fields["failed_numbers"]

    def clean_failed_numbers(self) -> dict[str, str]:
        """ "number reason" lines → digits → reason; the number in any written form."""
        found: dict[str, str] = {}
        for line_no, line in enumerate(self.cleaned_data["failed_numbers"].splitlines(), 1):
            if not line.strip():
                continue
            match = NUMBER_THEN_REASON.match(line)
            written, reason = (match.group(1), match.group(2)) if match else (line.strip(), "")
            try:
                digits = normalise(written)
            except InvalidNumber as exc:
                raise forms.ValidationError(
                    _("Line %(line)d: %(number)s is %(reason)s.")
                    % {"line": line_no, "number": written, "reason": exc.reason}
                ) from exc
            found[digits] = reason.strip()
        return found


class DecisionPages:
    """Mixed into FilingAdmin: the decision page of a submitted filing."""

    admin_site: Any
    opts: Any

    def decision_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/decision/", view(self.decision_view), name="filings_filing_decision")
        ]

    def decision_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(REVIEW):
            raise PermissionDenied
        filing = get_object_or_404(Filing.objects.select_related("company"), pk=pk)
        change_url = reverse("admin:filings_filing_change", args=[pk])
        if filing.status != State.SUBMITTED:
            messages.warning(
                request,
                _("Only a submitted filing waits for Volcengine's decision; this one is “%(s)s”.")
                % {"s": filing.get_status_display()},
            )
            return HttpResponseRedirect(change_url)
        data = request.POST if request.method == "POST" else None
        form = DecisionForm(filing, data, initial={"decided_on": timezone.localdate()})
        if data is not None and form.is_valid():
            given = form.cleaned_data
            details = given["details"].strip()
            try:
                filing_record_decision(
                    actor=request.user,
                    filing=filing,
                    outcome=given["outcome"],
                    decided_on=given["decided_on"],
                    evidence=given["evidence"],
                    reasons=[(code, details) for code in given["reasons"]],
                    failed_numbers=given.get("failed_numbers") or {},
                )
            except FilingsError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Volcengine's decision is recorded."))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "filing": filing,
            "form": form,
            "title": _("Volcengine's decision on filing #%(pk)s") % {"pk": pk},
        }
        return TemplateResponse(request, "admin/filings/filing/decision.html", context)
