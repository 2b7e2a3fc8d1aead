"""A-numbers: the list (by company, state, number), adding from a paste or a file, editing the
script a number is filed with, and "File these numbers" into number filings."""

import unicodedata
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.admin.base import as_id, reported
from filings.errors import FilingsError
from filings.models import Company, Filing, FilingNumber, PhoneNumber
from filings.number_files import NumberFileError, read_items
from filings.number_forms import NumberForm, NumbersAddForm
from filings.phone_numbers import InvalidNumber, normalise, split_list
from filings.services import numbers


class CompanyFilter(admin.SimpleListFilter):
    """One company's numbers (from the company page's links); lists only the chosen company, so
    the filter stays small however many companies there are."""

    title = gettext_lazy("company")
    parameter_name = "company"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        pk = as_id(self.value())
        company = Company.objects.filter(pk=pk).first() if pk is not None else None
        return [(str(company.pk), company.name)] if company else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        pk = as_id(value)
        return queryset.filter(company_id=pk) if pk is not None else queryset.none()


class FilingNumberHistory(admin.TabularInline[FilingNumber, PhoneNumber]):
    """The number filings a number was in, newest first."""

    model = FilingNumber
    fk_name = "number"
    extra = 0
    can_delete = False
    fields = ["filing_link", "action", "status"]
    readonly_fields = fields  # type: ignore[assignment]
    verbose_name_plural = gettext_lazy("number filings")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FilingNumber]:
        return super().get_queryset(request).select_related("filing").order_by("-filing__pk")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("filing"))
    def filing_link(self, obj: FilingNumber) -> str:
        url = reverse("admin:filings_filing_change", args=[obj.filing_id])
        return format_html('<a href="{}">#{}</a>', url, obj.filing_id)

    @admin.display(description=gettext_lazy("number action"))
    def action(self, obj: FilingNumber) -> str:
        return str(obj.filing.get_number_action_display())

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj: FilingNumber) -> str:
        return str(obj.filing.get_status_display())


INTERNATIONAL_PREFIXES = ("+86", "0086")


def searched_digits(term: str) -> str:
    """The national digits a search for `term` starts with: a whole number in any written form
    (`+86 571 8888 6666` is 057188886666), or the first digits of one."""
    try:
        return normalise(term.strip())
    except InvalidNumber:
        pass
    folded = unicodedata.normalize("NFKC", term).strip()
    digits = "".join(ch for ch in folded if ch.isdigit())
    prefix = next((p for p in INTERNATIONAL_PREFIXES if folded.startswith(p)), "")
    if prefix:
        digits = digits[len(prefix) - prefix.count("+") :]
        # Written internationally, a fixed line drops its trunk 0: `+86 571` is `0571`.
        if digits and not digits.startswith("1"):
            digits = "0" + digits
    elif digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    return digits


def _file_action(action: str) -> Any:
    """The list action "File these numbers" for one number action."""

    def file_numbers(
        modeladmin: "PhoneNumberAdmin", request: HttpRequest, queryset: QuerySet[PhoneNumber]
    ) -> None:
        with reported(request):
            result = numbers.numbers_file(
                actor=request.user,
                # One more than the limit is enough for the service to refuse "select all".
                numbers=list(
                    queryset.values_list("pk", flat=True)[: numbers.MAX_FILED_AT_ONCE + 1]
                ),
                action=action,
            )
            if result.filings:
                links = format_html_join(
                    ", ",
                    '<a href="{}">#{}</a> ({})',
                    (
                        (
                            reverse("admin:filings_filing_change", args=[filing.pk]),
                            filing.pk,
                            _("%(n)d numbers") % {"n": filing.filing_numbers.count()},
                        )
                        for filing in result.filings
                    ),
                )
                messages.success(
                    request, format_html("{} {}", _("Draft number filings created:"), links)
                )
            for digits, reason in result.refused:
                messages.warning(request, f"{digits}: {reason}")

    file_numbers.__name__ = f"file_{action}"
    description = format_lazy(
        "{}: {}", gettext_lazy("File these numbers"), Filing.NumberAction(action).label
    )
    return admin.action(description=description, permissions=["change"])(file_numbers)


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin[PhoneNumber]):
    form = NumberForm
    list_display = ["digits", "company_name", "state", "script_scene", "filing", "updated_at"]
    list_filter = ["state", CompanyFilter]
    list_select_related = ["company"]
    search_fields = ["digits"]
    search_help_text = gettext_lazy("A number, whole or its first digits.")
    list_per_page = 100
    inlines = [FilingNumberHistory]
    actions = [_file_action(action) for action in Filing.NumberAction.values]
    readonly_fields = ["digits", "company", "state", "failure_reason", "open_filing"]
    fields = [
        "digits",
        "company",
        "state",
        "failure_reason",
        "open_filing",
        "script_scene",
        "script",
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PhoneNumber], search_term: str
    ) -> tuple[QuerySet[PhoneNumber], bool]:
        """Digits only, matched from the start (an index range), in any written form."""
        if not search_term.strip():
            return queryset, False
        digits = searched_digits(search_term)
        return queryset.filter(digits__startswith=digits) if digits else queryset.none(), False

    @admin.display(description=gettext_lazy("company"), ordering="company__name")
    def company_name(self, obj: PhoneNumber) -> str:
        return obj.company.name

    @admin.display(description=gettext_lazy("open number filing"))
    def filing(self, obj: PhoneNumber) -> str:
        if obj.open_filing_id is None:
            return "—"
        url = reverse("admin:filings_filing_change", args=[obj.open_filing_id])
        return format_html('<a href="{}">#{}</a>', url, obj.open_filing_id)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None and obj.open_filing_id is not None:
            fields += ["script_scene", "script"]  # filed: the filing's script is what counts
        return fields

    def save_model(self, request: HttpRequest, obj: PhoneNumber, form: Any, change: bool) -> None:
        data = form.cleaned_data
        numbers.number_update(
            actor=request.user,
            number=obj,
            script_scene=data["script_scene"],
            script=data["script"],
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if object_id is None:
            return self.add_numbers_view(request)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except FilingsError as exc:
            messages.error(request, exc.message)
            return TemplateResponse(request, "admin/filings/phonenumber/error.html", {})

    def add_numbers_view(self, request: HttpRequest) -> HttpResponse:
        """Paste or upload numbers; the answer lists every line with what became of it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        initial = {}
        company_id = as_id(request.GET.get("company"))
        if company_id is not None:
            company = Company.objects.filter(pk=company_id).first()
            initial["credit_code"] = company.credit_code if company else ""
        form = NumbersAddForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                items = (
                    read_items(data["file"])
                    if data.get("file")
                    else split_list(data.get("numbers") or "")
                )
            except NumberFileError as exc:
                form.add_error("file", str(exc))
            else:
                with reported(request):
                    report = numbers.numbers_add(
                        actor=request.user,
                        company=data["credit_code"],
                        items=items,
                        script_scene=data["script_scene"].strip(),
                        script=data["script"].strip(),
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Add numbers"),
            "form": form,
            "report": report,
            "report_rows": _report_rows(report) if report else "",
        }
        return TemplateResponse(request, "admin/filings/phonenumber/add_numbers.html", context)


def _report_rows(report: numbers.AddReport) -> str:
    """The report's table rows, refused lines first, made in one pass (escaped): a template
    loop over 10,000 lines costs most of the page's time."""
    added = _("added")
    return format_html_join(
        "\n",
        '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            ("added", line.line, line.raw, line.digits, added)
            if line.added
            else ("refused", line.line, line.raw, line.digits, line.reason)
            for line in sorted(report.lines, key=lambda line: line.added)
        ),
    )


def numbers_by_state(company: Company) -> list[tuple[str, int, str]]:
    """(state label, count, link to the list) of a company's numbers, in the states' order."""
    counts = dict(
        PhoneNumber.objects.filter(company=company)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    base = reverse("admin:filings_phonenumber_changelist")
    return [
        (
            str(state.label),
            counts.get(state.value, 0),
            f"{base}?company={company.pk}&state__exact={state.value}",
        )
        for state in PhoneNumber.State
    ]
