"""The daily reminders (manage.py send_reminders): documents to renew, filings waiting on
Volcengine past PORTAL_WAITING_ALERT_DAYS. Each item reminds each recipient once a day."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone, translation

from filings.models import Filing, Submission
from filings.notifications.delivery import Message, deliver
from filings.notifications.recipients import company_preparer_ids, reviewer_ids
from filings.notifications.rules import DOCUMENT_EXPIRING, WAITING, Rule, notice_text, rules_for
from filings.selectors import expiring_documents
from filings.workflow import State

# The send Volcengine received: accepted, or of unknown outcome and then resolved as received.
RECEIVED = (Submission.Outcome.ACCEPTED, Submission.Outcome.UNKNOWN)


def waiting_on_volcengine(now: datetime) -> QuerySet[Filing]:
    """SUBMITTED filings whose latest received send started more than
    PORTAL_WAITING_ALERT_DAYS before `now`, each with `sent_at`; longest waiting first."""
    latest = (
        Submission.objects.filter(filing=OuterRef("pk"), outcome__in=RECEIVED)
        .order_by("-started_at", "-pk")
        .values("started_at")[:1]
    )
    cutoff = now - timedelta(days=settings.PORTAL_WAITING_ALERT_DAYS)
    return (
        Filing.objects.filter(status=State.SUBMITTED)
        .annotate(sent_at=Subquery(latest))
        .filter(sent_at__lt=cutoff)
        .select_related("company")
        .order_by("sent_at", "pk")
    )


def _rule(source: str) -> Rule:
    (rule,) = rules_for(source)
    return rule


def _key(source: str, item: int, day: date) -> str:
    return f"{source}:{item}:{day.isoformat()}"


def expiring_messages(today: date) -> list[Message]:
    rule = _rule(DOCUMENT_EXPIRING)
    companies = expiring_documents(today)
    preparers = company_preparer_ids(entry.company.pk for entry in companies)
    return [
        Message(
            notice=rule.notice,
            recipient_ids=frozenset(preparers[entry.company.pk]),
            filing_id=max(item.filing_ids),  # the newest filing that sends it
            text=notice_text(
                rule,
                {
                    "document": item.document.get_kind_display(),
                    "company": entry.company.name,
                    "filing": max(item.filing_ids),
                    "valid_until": item.document.valid_until,
                },
            ),
            reminder=_key(DOCUMENT_EXPIRING, item.document.pk, today),
        )
        for entry in companies
        for item in entry.documents
    ]


def waiting_messages(now: datetime, today: date) -> list[Message]:
    rule = _rule(WAITING)
    filings = list(waiting_on_volcengine(now))
    reviewers = frozenset(reviewer_ids()) if filings else frozenset()
    return [
        Message(
            notice=rule.notice,
            recipient_ids=reviewers,
            filing_id=filing.pk,
            text=notice_text(
                rule,
                {
                    "filing": filing.pk,
                    "company": filing.company.name,
                    "days": (now - filing.sent_at).days,  # type: ignore[attr-defined]
                },
            ),
            reminder=_key(WAITING, filing.pk, today),
        )
        for filing in filings
    ]


@dataclass(frozen=True)
class ReminderReport:
    """How many notifications of each kind this run created (0 when run again the same day)."""

    created: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.created.values())


def reminders_send(now: datetime | None = None) -> ReminderReport:
    """Remind of every document to renew and every filing waiting too long; idempotent per
    day (in TIME_ZONE), item and recipient."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with translation.override(settings.LANGUAGE_CODE):
        messages = expiring_messages(today) + waiting_messages(now, today)
    created = deliver(messages)
    return ReminderReport(Counter(notification.kind for notification in created))
