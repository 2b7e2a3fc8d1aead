"""Finding events in the audit trail: the search box, and the filters by event and by filing.

Each way of finding an event reads an index the trail already has (the kind, the filing, the
sequence) after resolving the words typed through the small tables that name them (companies,
submissions, users), at most `MATCHES` rows each; no search scans the event table with LIKE.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from filings.admin.base import as_id
from filings.admin.search import whole_credit_code
from filings.audit.labels import EVENT_LABELS, event_label, kinds_labelled
from filings.models import AuditEvent, Company, Filing, Submission

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices

MATCHES = 20  # companies or submissions one search term may name
LONGEST_TERM = 200  # longer text names nothing the trail holds
# Events about a company itself carry no filing: found by kind (indexed), then by target.
COMPANY_KINDS = tuple(kind for kind in EVENT_LABELS if kind.split(".")[0] in {"company", "numbers"})


def _filing_number(term: str) -> int | None:
    return as_id(term.removeprefix("#"))


def trail_search(term: str) -> Q | None:
    """What a search term finds in the trail, or None when it names nothing.

    A filing number (`7`, `#7`); a credit code or part of a company's name (the events of the
    company and of its filings); a Volcengine RequestId (the events of that submission); an
    event's label or code (`Approved`, `filing.approved`, `filing`); a user name (exactly).
    """
    term = term.strip()
    if not term or len(term) > LONGEST_TERM:
        return None
    found = Q()
    number = _filing_number(term)
    if number is not None:
        found |= Q(filing_id=number)
    submissions = list(
        Submission.objects.filter(Q(provider_request_id=term) | Q(result_request_id=term))
        .order_by("pk")
        .values_list("pk", "filing_id")[:MATCHES]
    )
    if submissions:
        found |= Q(
            filing_id__in={filing for _pk, filing in submissions},
            target_type="submission",
            target_id__in=[str(pk) for pk, _filing in submissions],
        )
    code = whole_credit_code(term)
    # A whole credit code names its company through the unique index; a RequestId names no
    # company (so no name is searched, which reads every company); other text a name.
    if code is not None:
        named: Q | None = Q(credit_code=code)
    else:
        named = None if submissions else Q(name__icontains=term)
    companies = (
        list(Company.objects.filter(named).order_by("pk").values_list("pk", flat=True)[:MATCHES])
        if named is not None
        else []
    )
    if companies:
        # The filings' ids as a list, not a subquery: OR-ed with the other conditions, an
        # `IN (SELECT …)` makes PostgreSQL read every event instead of the filing_id index.
        filings = Filing.objects.filter(company_id__in=companies).values_list("pk", flat=True)
        found |= Q(filing_id__in=list(filings))
        found |= Q(
            kind__in=COMPANY_KINDS,
            target_type="company",
            target_id__in=[str(pk) for pk in companies],
        )
    kinds = kinds_labelled(term)
    if kinds:
        found |= Q(kind__in=kinds)
    if get_user_model().objects.filter(username=term).exists():
        found |= Q(actor_username=term)
    return found or None


class TrailSearchMixin:
    """The audit lists' search box reads `trail_search` instead of LIKE over every event."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if not search_term.strip():
            return queryset, False
        found = trail_search(search_term)
        return (queryset.filter(found) if found is not None else queryset.none()), False


class EventKindFilter(admin.SimpleListFilter):
    """Events by what happened, in words; the query keeps the code (`?kind=filing.created`)."""

    title = _("event")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        labelled = [(kind, str(label)) for kind, label in EVENT_LABELS.items()]
        return sorted(labelled, key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        kind = self.value()
        return queryset.filter(kind=kind) if kind else queryset


class FilingFilter(admin.SimpleListFilter):
    """One filing's trail (`?filing=7`): typed as a number, or reached from an event's filing."""

    title = _("filing")
    parameter_name = "filing"
    template = "admin/filings/auditevent/filing_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        number = _filing_number((self.value() or "").strip())
        filing = (
            Filing.objects.select_related("company").filter(pk=number).first()
            if number is not None
            else None
        )
        if filing is None:
            return [("", "")]  # nothing chosen: the filter shows its box only
        return [(str(filing.pk), f"#{filing.pk} · {filing.company.name}")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not (self.value() or "").strip():  # an empty box: every filing
            return queryset
        number = _filing_number((self.value() or "").strip())
        return queryset.filter(filing_id=number) if number is not None else queryset.none()

    def choices(self, changelist: ChangeList) -> "Iterator[_ListFilterChoices]":
        # The box keeps the list's other parameters (search, other filters, order).
        self.hidden_parameters = [
            (name, value)
            for name, value in changelist.params.items()
            if name != self.parameter_name
        ]
        yield {
            "selected": not (self.value() or "").strip(),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All"),
        }
        for value, title in self.lookup_choices:
            if value:
                yield {
                    "selected": self.value() == value,
                    "query_string": changelist.get_query_string({self.parameter_name: value}),
                    "display": title,
                }


def event_title(event: AuditEvent) -> str:
    """`#12 · Filing created`: an event's name on its own page."""
    return f"#{event.seq} · {event_label(event.kind)}"
