"""Reads for the home page: the lists of each role a user holds (by permission, not by group).

Each list has a count and at most ROWS rows, and the whole page takes a fixed number of queries
whatever the number of companies, filings or events: per role its counts (a reviewer's are two
per list, on index ranges) and one query per list, each on indexed columns (status,
state_since, created_by, started_at, recorded_at, kind)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as UserModel
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.audit.labels import event_label
from filings.desk.queries import (
    CHANGES_REQUESTED,
    alert_cutoff,
    filing_label,
    is_rework,
    last_move_kind,
    whole_days,
)
from filings.models import AuditEvent, Decision, Document, Filing, Submission
from filings.selectors import review_queue
from filings.workflow import EDIT, REVIEW, State

ROWS = 20
AUDIT = "filings.export_history"  # reads and exports the trail: the auditor's lists
PURGED = "document.purged"
VIEWED = "document.viewed"


@dataclass(frozen=True)
class Row:
    """One line of a home list: what, of which company, when, and where to open it."""

    label: str
    company: str
    when: datetime
    url: str
    days: int | None = None  # how long it has waited, for work lists
    alert: bool = False  # waited past PORTAL_WAITING_ALERT_DAYS
    note: str = ""
    who: str = ""


@dataclass(frozen=True)
class HomeList:
    key: str
    title: str
    count: int
    rows: list[Row]
    url: str  # the full list, filtered alike
    alerts: int = 0  # how many of `count` waited past the alert age


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lists: list[HomeList] = field(default_factory=list)


User = UserModel | AnonymousUser


def home_sections(user: User, *, now: datetime | None = None) -> list[Section]:
    """The sections of each role `user` holds: preparer, reviewer, auditor, in that order."""
    now = now or timezone.now()
    sections = []
    if user.has_perm(EDIT):
        sections.append(Section("preparer", _("Preparing"), preparer_lists(user)))
    if user.has_perm(REVIEW):
        sections.append(Section("reviewer", _("Reviewing"), reviewer_lists(user, now)))
    if user.has_perm(AUDIT):
        sections.append(Section("auditor", _("Auditing: recent activity"), auditor_lists(user)))
    return sections


def _filing_url(pk: int) -> str:
    return reverse("admin:filings_filing_change", args=[pk])


def _changelist(**params: object) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"{reverse('admin:filings_filing_changelist')}?{query}"


# --- preparer --------------------------------------------------------------------------------


def _labelled_attempt(filing: Filing) -> str:
    if filing.attempt == 1:
        return filing_label(filing)
    return f"{filing_label(filing)} · " + _("attempt %(n)d") % {"n": filing.attempt}


def preparer_lists(user: User) -> list[HomeList]:
    """My drafts, first attempts and reworks apart; three queries."""
    mine = Filing.objects.filter(status=State.DRAFT, created_by_id=user.pk)
    counts = mine.aggregate(total=Count("pk"), reworks=Count("pk", filter=is_rework()))
    url = _changelist(status__exact=State.DRAFT, created_by__id__exact=user.pk)

    def rows(queryset: QuerySet[Filing]) -> list[Row]:
        found = (
            queryset.select_related("company")
            .annotate(last_move=last_move_kind())
            .order_by("-created_at", "-pk")[:ROWS]
        )
        return [
            Row(
                label=_labelled_attempt(filing),
                company=filing.company.name,
                when=filing.created_at,
                url=_filing_url(filing.pk),
                note=_("Changes requested") if filing.last_move == CHANGES_REQUESTED else "",
            )
            for filing in found
        ]

    return [
        HomeList(
            "my-drafts",
            _("My drafts"),
            counts["total"] - counts["reworks"],
            rows(mine.exclude(is_rework())),
            url,
        ),
        HomeList(
            "my-reworks",
            _("My reworks (after a decline)"),
            counts["reworks"],
            rows(mine.filter(is_rework())),
            url,
        ),
    ]


# --- reviewer --------------------------------------------------------------------------------


def _waiting_counts(waiting: QuerySet[Filing], cutoff: datetime) -> tuple[int, int]:
    """How many filings `waiting` holds, and how many of them have waited since before `cutoff`:
    two counts on the (status, state_since) index. The long-waiting ones are all of them less
    the recent ones: counting a range of the index is cheap, while testing a condition on each
    of the many filings waiting on Volcengine took most of the page at 100k filings."""
    total = waiting.count()
    return total, total - waiting.filter(state_since__gte=cutoff).count()


def reviewer_lists(user: User, now: datetime) -> list[HomeList]:
    """The four-eyes queue, unknown outcomes, decisions to record; nine queries."""
    cutoff = alert_cutoff(now)
    me = int(user.pk or 0)
    queue, queue_old = _waiting_counts(review_queue(me).order_by(), cutoff)
    unknown, unknown_old = _waiting_counts(Filing.objects.filter(status=State.UNKNOWN), cutoff)
    submitted, submitted_old = _waiting_counts(
        Filing.objects.filter(status=State.SUBMITTED), cutoff
    )

    def rows(queryset: QuerySet[Filing], link: str = "change") -> list[Row]:
        oldest = queryset.select_related("company", "created_by").order_by("state_since", "pk")
        return [
            Row(
                label=filing_label(filing),
                company=filing.company.name,
                when=filing.state_since,
                url=reverse(f"admin:filings_filing_{link}", args=[filing.pk]),
                days=whole_days(filing.state_since, now),
                alert=filing.state_since < cutoff,
                who=filing.created_by.get_username(),
            )
            for filing in oldest[:ROWS]
        ]

    return [
        HomeList(
            "review-queue",
            _("In review, yours to approve"),
            queue,
            rows(review_queue(me), link="review"),
            reverse("admin:filings_filing_review_queue"),
            queue_old,
        ),
        HomeList(
            "unknown-outcomes",
            _("Unknown outcomes to resolve"),
            unknown,
            rows(Filing.objects.filter(status=State.UNKNOWN)),
            _changelist(status__exact=State.UNKNOWN),
            unknown_old,
        ),
        HomeList(
            "decisions-to-record",
            _("Waiting on Volcengine: decisions to record"),
            submitted,
            rows(Filing.objects.filter(status=State.SUBMITTED)),
            _changelist(status__exact=State.SUBMITTED),
            submitted_old,
        ),
    ]


# --- auditor ---------------------------------------------------------------------------------


def _document_name(data: object) -> str:
    kind = data.get("kind", "") if isinstance(data, dict) else ""
    return str(dict(Document.Kind.choices).get(kind, kind))


def auditor_lists(user: User) -> list[HomeList]:
    """Recent sends, decisions, purges and views of ID images, newest first, each for whoever
    may open its full list; seven queries."""
    lists = []
    if user.has_perm("filings.view_submission"):
        lists.append(_sends())
    if user.has_perm("filings.view_decision"):
        lists.append(_decisions())
    if user.has_perm("filings.view_auditevent"):
        lists.extend(_purges_and_views())
    return lists


def _sends() -> HomeList:
    sends = Submission.objects.select_related("filing__company", "actor").order_by(
        "-started_at", "-pk"
    )[:ROWS]
    return HomeList(
        "recent-sends",
        _("Sends to Volcengine"),
        Submission.objects.count(),
        [
            Row(
                label=f"{filing_label(s.filing)} · {s.get_outcome_display()}",
                company=s.filing.company.name,
                when=s.started_at,
                url=reverse("admin:filings_submission_change", args=[s.pk]),
                note=s.provider_request_id,
                who=s.actor.get_username(),
            )
            for s in sends
        ],
        reverse("admin:filings_submission_changelist"),
    )


def _decisions() -> HomeList:
    decisions = Decision.objects.select_related("filing__company", "recorded_by").order_by(
        "-recorded_at", "-pk"
    )[:ROWS]
    return HomeList(
        "recent-decisions",
        _("Volcengine's decisions"),
        Decision.objects.count(),
        [
            Row(
                label=f"{filing_label(d.filing)} · {d.get_outcome_display()}",
                company=d.filing.company.name,
                when=d.recorded_at,
                url=_filing_url(d.filing_id),
                note=str(d.decided_on),
                who=d.recorded_by.get_username(),
            )
            for d in decisions
        ],
        reverse("admin:filings_decision_changelist"),
    )


def _purges_and_views() -> list[HomeList]:
    counts = AuditEvent.objects.filter(kind__in=[PURGED, VIEWED]).aggregate(
        purged=Count("pk", filter=Q(kind=PURGED)), viewed=Count("pk", filter=Q(kind=VIEWED))
    )

    def events(kind: str) -> list[Row]:
        found = (
            AuditEvent.objects.filter(kind=kind)
            .select_related("filing__company")
            .order_by("-seq")[:ROWS]
        )
        return [
            Row(
                label=f"{event_label(e.kind)} · {_document_name(e.data)}",
                company=e.filing.company.name if e.filing else "",
                when=e.created_at,
                url=reverse("admin:filings_auditevent_change", args=[e.pk]),
                note=filing_label(e.filing) if e.filing else "",
                who=e.actor_username,
            )
            for e in found
        ]

    trail = reverse("admin:filings_auditevent_changelist")
    accesses = reverse("admin:filings_documentaccess_changelist")
    return [
        HomeList(
            "recent-purges",
            _("Documents purged"),
            counts["purged"],
            events(PURGED),
            f"{trail}?kind={PURGED}",
        ),
        HomeList(
            "recent-views",
            _("ID images viewed"),
            counts["viewed"],
            events(VIEWED),
            f"{accesses}?kind={VIEWED}",
        ),
    ]
