"""Reads for a company's page: where the customer is, at a glance. Four queries, whatever the
number of its filings, documents or decisions: its filings that matter (the latest company
filing and the number filings not yet filed), their current documents, and its last decision
with that decision's reasons."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from filings import kinds
from filings.desk.queries import (
    CHANGES_REQUESTED,
    alert_cutoff,
    filing_label,
    last_move_kind,
    state_since,
    whole_days,
)
from filings.desk.steps import NextStep, moved_by_portal, next_steps, roles_holding
from filings.models import Company, Decision, Document, Filing
from filings.selectors import EXPIRY_WARNING_DAYS
from filings.services.decisions import decline_reasons, reason_text
from filings.workflow import State, moves_from

EXPIRING_WITHIN = timedelta(days=EXPIRY_WARNING_DAYS)  # as the "Documents to renew" page
ROWS = 20  # at most this many number filings and blockers are listed; the counts cover all
# A missing document holds up only a filing that is still to be sent.
UNSENT_STATES = frozenset({State.DRAFT, State.IN_REVIEW, State.APPROVED})
# Who starts a company's first filing.
CREATE_FILING = "filings.add_filing"


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


def _line(filing: Filing, now: datetime) -> FilingLine:
    since = getattr(filing, "since", None) or filing.updated_at
    return FilingLine(
        pk=filing.pk,
        label=filing_label(filing),
        status=filing.status,
        status_label=str(State(filing.status).label),
        attempt=filing.attempt,
        since=since,
        days=whole_days(since, now),
        url=reverse("admin:filings_filing_change", args=[filing.pk]),
        steps=next_steps(filing.status),
        by_portal=moved_by_portal(filing.status),
        done=not moves_from(filing.status),
    )


def _filings(company: Company) -> list[Filing]:
    """The latest company filing and every number filing not yet filed, with how they got
    where they are and since when. One query."""
    latest = (
        Filing.objects.filter(company=company, kind=Filing.Kind.COMPANY)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    return list(
        Filing.objects.filter(company=company)
        .filter(Q(pk=Subquery(latest)) | (Q(kind=Filing.Kind.NUMBER) & ~Q(status=State.FILED)))
        .annotate(last_move=last_move_kind(), since=state_since())
        .only(
            "pk",
            "kind",
            "number_action",
            "status",
            "attempt",
            "review_comment",
            "created_at",
            "updated_at",
        )
        .order_by("-created_at", "-pk")
    )


Current = list[tuple[str, date | None]]  # (kind, valid until) of each document sent


def _documents(filings: list[Filing]) -> dict[int, Current]:
    """Filing → its current, unpurged documents (the parts that are sent). One query."""
    found: dict[int, Current] = {filing.pk: [] for filing in filings}
    if not filings:
        return found
    current = Document.objects.filter(
        filing_id__in=[filing.pk for filing in filings],
        part=Document.Part.MAIN,
        superseded_at__isnull=True,
        purged_at__isnull=True,
    ).values_list("filing_id", "kind", "valid_until")
    for filing_id, kind, valid_until in current:
        found[filing_id].append((kind, valid_until))
    return found


def _document_name(kind: str) -> str:
    return str(dict(Document.Kind.choices).get(kind, kind))


def _document_blockers(
    filing: Filing, line: FilingLine, documents: Current, today: date, in_service: bool
) -> list[Blocker]:
    found = []
    if filing.status in UNSENT_STATES:
        present = {kind for kind, _valid in documents}
        missing = [kind for kind in kinds.kind_of(filing).document_kinds if kind not in present]
        if missing:
            text = ngettext(
                "%(count)d document missing", "%(count)d documents missing", len(missing)
            ) % {"count": len(missing)}
            names = ", ".join(_document_name(kind) for kind in missing)
            found.append(Blocker("documents_missing", text, line, detail=names))
    # Nothing is renewed for a company whose service ended (nor listed to renew).
    expiring = sorted(
        (valid_until, kind)
        for kind, valid_until in documents
        if in_service and valid_until is not None and valid_until <= today + EXPIRING_WITHIN
    )
    for valid_until, kind in expiring:
        if valid_until < today:
            text = _("%(document)s expired on %(date)s")
        else:
            text = _("%(document)s valid until %(date)s")
        text %= {"document": _document_name(kind), "date": valid_until.isoformat()}
        found.append(Blocker("document_expiring", text, line, alert=valid_until < today))
    return found


def _state_blocker(filing: Filing, line: FilingLine, cutoff: datetime) -> Blocker | None:
    status = filing.status
    if status == State.DRAFT and getattr(filing, "last_move", None) == CHANGES_REQUESTED:
        return Blocker(
            "changes_requested",
            _("Changes requested by the reviewer"),
            line,
            detail=filing.review_comment,
        )
    if status == State.DECLINED:
        text = _("Declined by Volcengine (attempt %(attempt)d)") % {"attempt": filing.attempt}
        return Blocker("declined", text, line)
    if status == State.REJECTED:
        return Blocker("rejected", _("Refused by Volcengine when sent"), line)
    if status == State.SUBMITTED:
        text = ngettext(
            "Waiting on Volcengine for %(days)d day",
            "Waiting on Volcengine for %(days)d days",
            line.days,
        ) % {"days": line.days}
        return Blocker("waiting", text, line, alert=line.since < cutoff)
    if status == State.UNKNOWN:
        return Blocker("unknown", _("Sent, but the outcome is unknown"), line, alert=True)
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
    labels = {code: label for code, _target, label in decline_reasons(decision.filing)}
    reasons = []
    for reason in decision.reasons.all():
        # Named with the document it is about: away from the filing page, "blurred" alone is
        # not enough. Field reasons name their field already.
        label = labels.get(reason.code, reason.code)
        if reason.number:
            label = f"{reason.number}: {label}"
        if reason.target in Document.Kind.values:
            label = f"{_document_name(reason.target)}: {label}"
        reasons.append(reason_text(label, reason.text))
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
    documents = _documents(filings)
    company_filing: FilingLine | None = None
    numbers: list[FilingLine] = []
    by_state: dict[str, int] = {}
    blockers: list[Blocker] = []
    for filing in filings:
        line = _line(filing, now)
        if filing.kind == Filing.Kind.COMPANY:
            company_filing = line
        else:
            numbers.append(line)
            by_state[filing.status] = by_state.get(filing.status, 0) + 1
        state_blocker = _state_blocker(filing, line, cutoff)
        if state_blocker is not None:
            blockers.append(state_blocker)
        blockers.extend(
            _document_blockers(
                filing, line, documents[filing.pk], today, company.service_ended_on is None
            )
        )
    # Alerts first, then what waits longest.
    blockers.sort(key=lambda b: (not b.alert, b.filing.since if b.filing else now))
    if company_filing is None:
        blockers.insert(0, Blocker("no_company_filing", _("No company filing yet"), None))
    counts: dict[str, int] = {}
    for blocker in blockers:
        counts[blocker.code] = counts.get(blocker.code, 0) + 1
    changelist = reverse("admin:filings_filing_changelist")
    return CompanyDesk(
        company_filing=company_filing,
        create_roles=() if company_filing else roles_holding(CREATE_FILING),
        number_filings=numbers[:ROWS],
        number_filings_open=len(numbers),
        number_filings_by_state=[
            (str(state.label), by_state[state.value]) for state in State if state.value in by_state
        ],
        number_filings_url=(
            f"{changelist}?company__id__exact={company.pk}&kind__exact={Filing.Kind.NUMBER}"
        ),
        blockers=blockers[:ROWS],
        blockers_total=len(blockers),
        last_decision=_last_decision(company),
        expiring_url=reverse("admin:filings_expiring_documents"),
        alert_days=settings.PORTAL_WAITING_ALERT_DAYS,
        counts=counts,
    )
