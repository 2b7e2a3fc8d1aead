"""Reads for a company's page: where the customer is, at a glance. Four queries, whatever the
number of its filings, documents or decisions: its filings that matter (the latest company
filing and the number filings not yet filed), their current documents, and its last decision
with that decision's reasons."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db.models import Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from filings import kinds
from filings.content import current_links
from filings.desk.queries import (
    CHANGES_REQUESTED,
    alert_cutoff,
    filing_label,
    kind_label,
    last_move_kind,
    whole_days,
)
from filings.desk.steps import NextStep, moved_by_portal, next_steps, roles_holding
from filings.models import Company, Decision, Document, Filing
from filings.selectors import EXPIRY_WARNING_DAYS
from filings.services.decisions import labelled_reasons, reason_text, target_label
from filings.workflow import State, moves_from

EXPIRING_WITHIN = timedelta(days=EXPIRY_WARNING_DAYS)  # as the "Documents to renew" page
ROWS = 20  # at most this many number filings and blockers are listed; the counts cover all
# A missing document holds up only a filing that is still to be sent.
UNSENT_STATES = frozenset({State.DRAFT, State.IN_REVIEW, State.APPROVED})
# Who starts a company's first filing.
CREATE_FILING = "filings.add_filing"
PK = "__pk__"

NO_COMPANY_FILING = gettext_lazy("No company filing yet")
CHANGES_WANTED = gettext_lazy("Changes requested by the reviewer")
REFUSED = gettext_lazy("Refused by Volcengine when sent")
OUTCOME_UNKNOWN = gettext_lazy("Sent, but the outcome is unknown")


@dataclass(frozen=True)
class FilingLine:
    """One filing as the desk shows it: where it is, since when, and who moves it next."""

    pk: int
    label: str
    status: str
    status_label: str
    attempt: int
    since: datetime
    days: int
    url: str
    steps: list[NextStep]
    by_portal: bool  # nobody but the portal moves it on (it is being sent)
    done: bool  # no move leaves its state


@dataclass(frozen=True)
class Blocker:
    """Something that holds a customer up, on one filing (or on the company: filing None)."""

    code: str
    text: str
    filing: FilingLine | None
    alert: bool = False
    detail: str = ""


@dataclass(frozen=True)
class LastDecision:
    decision: Decision
    filing_label: str
    url: str
    reasons: list[str]


@dataclass(frozen=True)
class CompanyDesk:
    company_filing: FilingLine | None
    create_roles: tuple[str, ...]  # who starts the company filing when there is none
    number_filings: list[FilingLine]  # the newest open ones, at most ROWS
    number_filings_open: int
    number_filings_by_state: list[tuple[str, int]]
    number_filings_url: str
    blockers: list[Blocker]  # at most ROWS, the ones waiting longest first
    blockers_total: int
    last_decision: LastDecision | None
    expiring_url: str  # the "Documents to renew" page
    alert_days: int
    counts: dict[str, int] = field(default_factory=dict)  # blockers by code


@dataclass(frozen=True)
class _Seen:
    """A filing as read for the desk (plain values: a company may have thousands)."""

    pk: int
    kind: str
    number_action: str
    status: str
    attempt: int
    review_comment: str
    since: datetime
    last_move: str | None


@dataclass(frozen=True)
class _Found:
    """A blocker before it is shown: it is worded, and its filing becomes a FilingLine, only if
    it is listed (a company may have thousands)."""

    code: str
    seen: _Seen | None
    say: Callable[[], str]
    alert: bool = False
    detail: str = ""


def _missing(count: int) -> str:
    return ngettext("%(count)d document missing", "%(count)d documents missing", count) % {
        "count": count
    }


def _expiring(document: str, valid_until: date, today: date) -> str:
    if valid_until < today:
        text = _("%(document)s expired on %(date)s")
    else:
        text = _("%(document)s valid until %(date)s")
    return text % {"document": document, "date": valid_until.isoformat()}


def _waiting(days: int) -> str:
    return ngettext(
        "Waiting on Volcengine for %(days)d day", "Waiting on Volcengine for %(days)d days", days
    ) % {"days": days}


def _declined(attempt: int) -> str:
    return _("Declined by Volcengine (attempt %(attempt)d)") % {"attempt": attempt}


class _Lines:
    """FilingLines made on demand; what depends only on a state or a kind is worked out once."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        # One reverse() for all lines (thousands would cost more than the queries).
        self.url = reverse("admin:filings_filing_change", args=[PK])
        self.by_state: dict[str, tuple[str, list[NextStep], bool, bool]] = {}
        self.labels: dict[tuple[str, str], str] = {}

    def line(self, seen: _Seen) -> FilingLine:
        if seen.status not in self.by_state:
            self.by_state[seen.status] = (
                str(State(seen.status).label),
                next_steps(seen.status),
                moved_by_portal(seen.status),
                not moves_from(seen.status),
            )
        status_label, steps, by_portal, done = self.by_state[seen.status]
        key = (seen.kind, seen.number_action)
        if key not in self.labels:
            self.labels[key] = kind_label(seen.kind, seen.number_action)
        return FilingLine(
            pk=seen.pk,
            label=f"#{seen.pk} · {self.labels[key]}",
            status=seen.status,
            status_label=status_label,
            attempt=seen.attempt,
            since=seen.since,
            days=whole_days(seen.since, self.now),
            url=self.url.replace(PK, str(seen.pk)),
            steps=steps,
            by_portal=by_portal,
            done=done,
        )


def _that_matter(company: Company) -> QuerySet[Filing]:
    """The company's latest company filing and its number filings not yet filed."""
    latest = (
        Filing.objects.filter(company=company, kind=Filing.Kind.COMPANY)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    return Filing.objects.filter(company=company).filter(
        Q(pk=Subquery(latest)) | (Q(kind=Filing.Kind.NUMBER) & ~Q(status=State.FILED))
    )


def _filings(company: Company) -> list[_Seen]:
    """The filings that matter, with how they got where they are and since when, newest
    first. One query."""
    rows = (
        _that_matter(company)
        .annotate(last_move=last_move_kind())
        .order_by("-created_at", "-pk")
        .values_list(
            "pk",
            "kind",
            "number_action",
            "status",
            "attempt",
            "review_comment",
            "state_since",
            "last_move",
        )
    )
    return [_Seen(*row) for row in rows]


Current = list[tuple[str, date | None]]  # (kind, valid until) of each document sent


def _documents(company: Company, filings: list[_Seen]) -> dict[int, Current]:
    """Filing → the unpurged documents it sends now (the parts that are sent), its own uploads
    and those taken over from the company alike. One query, by the filings' ids: with the
    filings as a subquery (and the links' ordering joining them again), PostgreSQL planned a
    walk over every link when its statistics called the tables small, tens of seconds a page."""
    found: dict[int, Current] = {seen.pk: [] for seen in filings}
    if not filings:
        return found
    current = (
        current_links(
            filing_id__in=list(found),
            part=Document.Part.MAIN,
            document__purged_at__isnull=True,
        )
        .order_by()
        .values_list("filing_id", "kind", "document__valid_until")
    )
    for filing_id, kind, valid_until in current:
        found[filing_id].append((kind, valid_until))
    return found


class _Documents:
    """What a filing's documents say: which are missing, which expire. The kinds' needs and
    the documents' names are worked out once per page, not once per filing."""

    def __init__(self, today: date, in_service: bool) -> None:
        self.today = today
        self.in_service = in_service  # nothing is renewed for a company whose service ended
        self.names = {value: str(label) for value, label in Document.Kind.choices}
        self.needed: dict[tuple[str, str], tuple[str, ...]] = {}

    def name(self, kind: str) -> str:
        return self.names.get(kind, kind)

    def needs(self, seen: _Seen) -> tuple[str, ...]:
        key = (seen.kind, seen.number_action)
        if key not in self.needed:
            filing = Filing(kind=seen.kind, number_action=seen.number_action)
            self.needed[key] = tuple(kinds.kind_of(filing).document_kinds)
        return self.needed[key]

    def blockers(self, seen: _Seen, documents: Current) -> list[_Found]:
        found = []
        if seen.status in UNSENT_STATES:
            present = {kind for kind, _valid in documents}
            missing = [kind for kind in self.needs(seen) if kind not in present]
            if missing:
                names = ", ".join(self.name(kind) for kind in missing)
                say = partial(_missing, len(missing))
                found.append(_Found("documents_missing", seen, say, detail=names))
        if not self.in_service:
            return found
        today = self.today
        expiring = sorted(
            (valid_until, kind)
            for kind, valid_until in documents
            if valid_until is not None and valid_until <= today + EXPIRING_WITHIN
        )
        for valid_until, kind in expiring:
            say = partial(_expiring, self.name(kind), valid_until, today)
            found.append(_Found("document_expiring", seen, say, alert=valid_until < today))
        return found


def _state_blocker(seen: _Seen, now: datetime, cutoff: datetime) -> _Found | None:
    status = seen.status
    if status == State.DRAFT and seen.last_move == CHANGES_REQUESTED:
        say = partial(str, CHANGES_WANTED)
        return _Found("changes_requested", seen, say, detail=seen.review_comment)
    if status == State.DECLINED:
        return _Found("declined", seen, partial(_declined, seen.attempt))
    if status == State.REJECTED:
        return _Found("rejected", seen, partial(str, REFUSED))
    if status == State.SUBMITTED:
        days = whole_days(seen.since, now)
        return _Found("waiting", seen, partial(_waiting, days), alert=seen.since < cutoff)
    if status == State.UNKNOWN:
        return _Found("unknown", seen, partial(str, OUTCOME_UNKNOWN), alert=True)
    return None


def _last_decision(company: Company) -> LastDecision | None:
    """The company's newest recorded decision and its reasons. Two queries."""
    decision = (
        Decision.objects.filter(filing__company=company)
        .select_related("filing", "recorded_by")
        .order_by("-recorded_at", "-pk")
        .first()
    )
    if decision is None:
        return None
    reasons = []
    for target, label, text in labelled_reasons(decision.filing, decision):
        # Named with the document it is about: away from the filing page, "blurred" alone is
        # not enough. Field reasons name their field already.
        if target in Document.Kind.values:
            label = f"{target_label(target)}: {label}"
        reasons.append(reason_text(label, text))
    return LastDecision(
        decision=decision,
        filing_label=filing_label(decision.filing),
        url=reverse("admin:filings_filing_change", args=[decision.filing_id]),
        reasons=reasons,
    )


def company_desk(company: Company, *, now: datetime | None = None) -> CompanyDesk:
    """Where `company` is: its company filing, its open number filings, what blocks it, who
    moves each filing next, and Volcengine's last decision."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = alert_cutoff(now)
    filings = _filings(company)
    documents = _documents(company, filings)
    company_filing = next((seen for seen in filings if seen.kind == Filing.Kind.COMPANY), None)
    numbers = [seen for seen in filings if seen.kind == Filing.Kind.NUMBER]
    by_state: dict[str, int] = {}
    for seen in numbers:
        by_state[seen.status] = by_state.get(seen.status, 0) + 1
    found: list[_Found] = []
    papers = _Documents(today, in_service=company.service_ended_on is None)
    for seen in filings:
        state_blocker = _state_blocker(seen, now, cutoff)
        if state_blocker is not None:
            found.append(state_blocker)
        found.extend(papers.blockers(seen, documents[seen.pk]))
    # Alerts first, then what waits longest.
    found.sort(key=lambda b: (not b.alert, b.seen.since if b.seen is not None else now))
    if company_filing is None:
        found.insert(0, _Found("no_company_filing", None, partial(str, NO_COMPANY_FILING)))
    counts: dict[str, int] = {}
    for blocker in found:
        counts[blocker.code] = counts.get(blocker.code, 0) + 1
    lines = _Lines(now)
    changelist = reverse("admin:filings_filing_changelist")
    return CompanyDesk(
        company_filing=lines.line(company_filing) if company_filing else None,
        create_roles=() if company_filing else roles_holding(CREATE_FILING),
        number_filings=[lines.line(seen) for seen in numbers[:ROWS]],
        number_filings_open=len(numbers),
        number_filings_by_state=[
            (str(state.label), by_state[state.value]) for state in State if state.value in by_state
        ],
        number_filings_url=(
            f"{changelist}?company__id__exact={company.pk}&kind__exact={Filing.Kind.NUMBER}"
        ),
        blockers=[
            Blocker(b.code, b.say(), lines.line(b.seen) if b.seen else None, b.alert, b.detail)
            for b in found[:ROWS]
        ],
        blockers_total=len(found),
        last_decision=_last_decision(company),
        expiring_url=reverse("admin:filings_expiring_documents"),
        alert_days=settings.PORTAL_WAITING_ALERT_DAYS,
        counts=counts,
    )
