"""Notifications: the rules table, the after-commit hook, e-mail (and its failure), preferences,
idempotency, the daily reminders and the portal's pages. Tasks run in-process here (Django's
immediate backend); tests/integration/test_notification_worker.py runs a real worker."""

import logging
import smtplib
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from filings import audit
from filings.models import AuditEvent, Document, Filing, Submission
from filings.notifications.models import Notification, NotificationPreference
from filings.notifications.reminders import reminders_send
from filings.notifications.rules import Audience, Notice, rules_for
from filings.notifications.tasks import notify_event
from filings.services import editing, review, sending
from filings.services.decisions import filing_record_decision
from tests.audit_rows import head
from tests.builders import VALID_CODES, approved_filing, complete_filing, fresh, in_review
from tests.conftest import role
from tests.number_builders import received

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
SMTP_PASSWORD = "smtp-pw-never-logged-5f1c"


class RefusingMailBackend(BaseEmailBackend):
    """A mail server that is down: every send raises."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPConnectError(421, "mail.example.invalid: service not available")


@pytest.fixture(autouse=True)
def in_process(settings: Any) -> None:
    """Tasks run as they are enqueued; texts in English; a known e-mail address per user."""
    settings.TASKS = IMMEDIATE_TASKS
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_HOST_PASSWORD = SMTP_PASSWORD
    settings.PORTAL_PUBLIC_BASE_URL = "https://portal.example.invalid"


@pytest.fixture
def team(
    preparer: User, preparer2: User, reviewer: User, reviewer2: User, auditor: User, superuser: User
) -> dict[str, User]:
    """Everyone, each with an e-mail address (the fixtures' users have none)."""
    people = {
        "preparer": preparer,
        "preparer2": preparer2,
        "reviewer": reviewer,
        "reviewer2": reviewer2,
        "auditor": auditor,
        "root": superuser,
    }
    for name, user in people.items():
        user.email = f"{name}@example.invalid"
        user.save(update_fields=["email"])
    return people


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Run what the code under test leaves for after the commit (here: enqueue, which runs)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def told(**filters: Any) -> dict[str, str]:
    """username → kind of the notifications matching `filters`."""
    rows = Notification.objects.filter(**filters).select_related("recipient")
    return {n.recipient.username: n.kind for n in rows}


def mailed_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


# --- the table


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("filing.submitted", {}, [(Notice.SUBMITTED, Audience.REVIEWERS)]),
        ("filing.changes_requested", {"comment": "x"}, [(Notice.CHANGES_REQUESTED, "preparers")]),
        ("filing.decided", {"outcome": "declined"}, [(Notice.DECLINED, Audience.PREPARERS)]),
        ("filing.decided", {"outcome": "filed"}, []),
        ("filing.approved", {}, [(Notice.APPROVED, Audience.PREPARERS)]),
        ("submission.response", {"outcome": "ACCEPTED"}, [(Notice.SENT, Audience.PREPARERS)]),
        (
            "submission.response",
            {"outcome": "UNKNOWN"},
            [(Notice.UNKNOWN_OUTCOME, Audience.REVIEWERS)],
        ),
        ("submission.response", {"outcome": "REJECTED"}, []),
        ("submission.response", {"outcome": "NOT_SENT"}, []),
        ("filing.reconciled", {}, [(Notice.UNKNOWN_OUTCOME, Audience.REVIEWERS)]),
        ("reminder.document_expiring", {}, [(Notice.DOCUMENT_EXPIRING, "company_preparers")]),
        ("reminder.waiting", {}, [(Notice.WAITING, Audience.REVIEWERS)]),
        ("filing.created", {}, []),
        ("filing.updated", {}, []),
        ("filing.withdrawn", {}, []),
        ("filing.resolved", {"status": "SUBMITTED"}, []),
        ("document.viewed", {}, []),
    ],
)
def test_the_rules_table_names_the_notice_and_audience_of_each_event(
    kind: str, data: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert [(rule.notice, rule.audience) for rule in rules_for(kind, data)] == expected


# --- each event kind, through the real services and the hook


def test_submitted_tells_every_reviewer_but_the_actor(
    team: dict[str, User], preparer2: User, committed: Any
) -> None:
    # preparer2 also reviews: they submit, so they are not told of it.
    preparer2.groups.add(role("Reviewer"))
    filing = complete_filing(team["preparer"])
    with committed():
        review.filing_submit(actor=preparer2, filing=filing)

    assert told() == {"reviewer": "submitted", "reviewer2": "submitted", "root": "submitted"}
    assert mailed_to() == [
        "reviewer2@example.invalid",
        "reviewer@example.invalid",
        "root@example.invalid",
    ]
    notification = Notification.objects.get(recipient=team["reviewer"])
    assert notification.filing_id == filing.pk
    assert notification.event_seq == head()
    assert notification.text == (
        f"preparer2 submitted filing #{filing.pk} of 火山示例科技有限公司 for review."
    )
    assert notification.email == Notification.Email.SENT
    message = next(m for m in mail.outbox if m.to == ["reviewer@example.invalid"])
    assert message.subject == f"Submitted for review · #{filing.pk}"
    assert notification.text in message.body
    assert f"https://portal.example.invalid/admin/filings/filing/{filing.pk}/change/" in (
        message.body
    )


def test_changes_requested_tells_the_creator_and_the_last_editor(
    team: dict[str, User], committed: Any
) -> None:
    filing = complete_filing(team["preparer"])
    editing.script_add(actor=team["preparer2"], filing=filing, scene="催收", content="您好。")
    review.filing_submit(actor=team["preparer"], filing=filing)
    with committed():
        review.filing_request_changes(actor=team["reviewer"], filing=filing, comment="执照模糊")

    assert told() == {"preparer": "changes_requested", "preparer2": "changes_requested"}
    assert mailed_to() == ["preparer2@example.invalid", "preparer@example.invalid"]
    assert Notification.objects.filter(text__endswith=": 执照模糊").count() == 2


def test_approved_tells_the_preparer(team: dict[str, User], committed: Any) -> None:
    filing = in_review(team["preparer"])
    with committed():
        review.filing_approve(actor=team["reviewer"], filing=filing)

    assert told() == {"preparer": "approved"}
    assert mailed_to() == ["preparer@example.invalid"]


def test_declined_tells_the_preparer_and_filed_tells_nobody(
    team: dict[str, User], committed: Any
) -> None:
    declined = received(team["reviewer"], approved_filing(team["preparer"], team["reviewer"]))
    filed = received(
        team["reviewer"],
        approved_filing(team["preparer2"], team["reviewer"], code=VALID_CODES[1]),
    )
    today = timezone.localdate()
    with committed():
        filing_record_decision(
            actor=team["reviewer2"],
            filing=declined,
            outcome="declined",
            decided_on=today,
            evidence="工单 42",
            reasons=[("businessLicense.blurred", "")],
        )
        filing_record_decision(
            actor=team["reviewer2"], filing=filed, outcome="filed", decided_on=today, evidence="1"
        )

    assert told() == {"preparer": "declined"}
    assert Notification.objects.get().filing_id == declined.pk


def record_response(actor: User, filing: Filing, outcome: str) -> None:
    """The event submission_record writes for an answer (its data as the service has it)."""
    with transaction.atomic():
        audit.record(
            actor=actor,
            kind="submission.response",
            target=filing,
            filing=filing,
            data={"outcome": outcome, "request_id": "REQ-0001", "status": "SUBMITTED"},
        )


def test_sent_tells_the_preparer_and_unknown_tells_the_reviewers(
    team: dict[str, User], committed: Any
) -> None:
    filing = approved_filing(team["preparer"], team["reviewer"])
    with committed():
        record_response(team["reviewer"], filing, "ACCEPTED")
    assert told() == {"preparer": "sent"}
    assert "(RequestId REQ-0001)" in Notification.objects.get().text

    Notification.objects.all().delete()
    with committed():
        record_response(team["reviewer"], filing, "UNKNOWN")
    assert told() == {"reviewer2": "unknown_outcome", "root": "unknown_outcome"}

    Notification.objects.all().delete()
    with committed() as callbacks:
        record_response(team["reviewer"], filing, "REJECTED")
    assert callbacks == []  # nothing is even enqueued
    assert told() == {}


def test_a_send_stuck_and_reconciled_tells_the_reviewers_but_the_actor(
    team: dict[str, User], committed: Any
) -> None:
    filing = approved_filing(team["preparer"], team["reviewer"])
    sending.filing_start_sending(team["reviewer"], filing.pk)
    with committed():
        moved = sending.reconcile_sending(actor=team["reviewer"], older_than=timedelta(0))

    assert moved == [filing.pk]
    assert told() == {"reviewer2": "unknown_outcome", "root": "unknown_outcome"}


def test_events_the_table_does_not_know_enqueue_nothing(
    team: dict[str, User], committed: Any
) -> None:
    with committed() as callbacks:
        filing = complete_filing(team["preparer"])
        editing.filing_update(actor=team["preparer"], filing=filing, callee_source="公众号")
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


# --- after commit only, and a failed mail


@pytest.mark.django_db(transaction=True)
def test_a_change_that_rolls_back_tells_nobody(team: dict[str, User]) -> None:
    filing = complete_filing(team["preparer"])

    def submit_then_fail() -> None:
        with transaction.atomic():
            review.filing_submit(actor=team["preparer"], filing=filing)
            raise RuntimeError("something later in the same transaction failed")

    with pytest.raises(RuntimeError):
        submit_then_fail()

    assert fresh(filing).status == Filing.Status.DRAFT
    assert not AuditEvent.objects.filter(kind="filing.submitted").exists()
    assert Notification.objects.count() == 0
    assert mail.outbox == []

    review.filing_submit(actor=team["preparer"], filing=filing)  # commits: now they are told
    assert told() == {"reviewer": "submitted", "reviewer2": "submitted", "root": "submitted"}
    assert len(mail.outbox) == 3


def test_a_failing_mail_server_keeps_the_change_and_the_notification(
    team: dict[str, User], committed: Any, settings: Any, caplog: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailBackend"
    filing = in_review(team["preparer"])
    caplog.set_level(logging.WARNING, logger="filings.notifications")
    with committed():
        review.filing_approve(actor=team["reviewer"], filing=filing)

    assert fresh(filing).status == Filing.Status.APPROVED
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind) == (team["preparer"], "approved")
    assert notification.email == Notification.Email.FAILED
    assert notification.in_portal
    assert notification.read_at is None
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("filings.notifications")]
    assert lines == [
        f"Notification {notification.pk}: e-mail to user #{team['preparer'].pk} not sent: "
        "SMTPConnectError: (421, 'mail.example.invalid: service not available')"
    ]
    assert SMTP_PASSWORD not in caplog.text
    assert "preparer@example.invalid" not in caplog.text


# --- preferences, idempotency


def test_preferences_are_honoured_per_kind_and_place(team: dict[str, User], committed: Any) -> None:
    def choose(user: User, kind: str, in_portal: bool, email: bool) -> None:
        NotificationPreference.objects.create(
            user=user, kind=kind, in_portal=in_portal, email=email
        )

    choose(team["reviewer"], Notice.SUBMITTED, in_portal=True, email=False)
    choose(team["reviewer2"], Notice.SUBMITTED, in_portal=False, email=True)
    choose(team["root"], Notice.SUBMITTED, in_portal=False, email=False)
    choose(team["root"], Notice.APPROVED, in_portal=False, email=False)  # another kind
    filing = complete_filing(team["preparer"])
    with committed():
        review.filing_submit(actor=team["preparer"], filing=filing)

    rows = {
        n.recipient.username: (n.in_portal, n.email)
        for n in Notification.objects.select_related("recipient")
    }
    assert rows == {
        "reviewer": (True, Notification.Email.NONE),
        "reviewer2": (False, Notification.Email.SENT),
    }
    assert mailed_to() == ["reviewer2@example.invalid"]


def test_no_address_means_no_mail_but_the_portal_still_tells(
    team: dict[str, User], committed: Any
) -> None:
    User.objects.filter(pk=team["preparer"].pk).update(email="")
    filing = in_review(team["preparer"])
    with committed():
        review.filing_approve(actor=team["reviewer"], filing=filing)

    assert Notification.objects.get().email == Notification.Email.NONE
    assert mail.outbox == []


def test_running_a_task_twice_creates_and_sends_nothing_twice(team: dict[str, User]) -> None:
    filing = complete_filing(team["preparer"])
    review.filing_submit(actor=team["preparer"], filing=filing)  # the hook waits for a commit
    seq = head()

    assert notify_event.call(seq) == 3
    assert notify_event.call(seq) == 0

    assert Notification.objects.count() == 3
    assert len(mail.outbox) == 3
    assert notify_event.call(seq + 1000) == 0  # no such event


def test_the_preferences_page_saves_what_is_ticked(team: dict[str, User]) -> None:
    client = Client()
    client.force_login(team["reviewer"])
    url = reverse("admin:notifications_preferences")
    page = client.get(url).content.decode()
    assert page.count('type="checkbox"') == 2 * len(Notice)
    assert page.count("checked") == 2 * len(Notice)  # all on by default

    ticked = {f"{kind}-portal": "on" for kind in Notice.values} | {
        f"{kind}-email": "on" for kind in Notice.values if kind != Notice.WAITING
    }
    ticked.pop(f"{Notice.SUBMITTED}-portal")
    response = client.post(url, ticked)

    assert response.status_code == 302
    stored = NotificationPreference.objects.filter(user=team["reviewer"])
    assert sorted(stored.values_list("kind", "in_portal", "email")) == [
        ("submitted", False, True),
        ("waiting", True, False),
    ]
    assert client.get(url).content.decode().count("checked") == 2 * len(Notice) - 2


# --- the reminders


def test_expiring_documents_remind_the_preparers_of_their_company_once_a_day(
    team: dict[str, User],
) -> None:
    filing = complete_filing(team["preparer"])
    editing.script_add(actor=team["preparer2"], filing=filing, scene="催收", content="您好。")
    other = complete_filing(team["root"], code=VALID_CODES[1])  # another company's maker
    licence = filing.documents.get(kind=Document.Kind.BUSINESS_LICENSE, superseded_at=None)
    Document.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() + timedelta(days=10)
    )
    Document.objects.filter(filing=other).update(
        valid_until=timezone.localdate() + timedelta(days=90)  # not yet
    )

    report = reminders_send()

    assert report.total == 2
    assert told() == {"preparer": "document_expiring", "preparer2": "document_expiring"}
    assert {n.filing_id for n in Notification.objects.all()} == {filing.pk}
    assert reminders_send().total == 0  # the same day
    assert len(mail.outbox) == 2
    tomorrow = timezone.now() + timedelta(days=1)
    assert reminders_send(tomorrow).total == 2


def sent_days_ago(filing: Filing, actor: User, days: int) -> None:
    now = timezone.now()
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.SUBMITTED)
    Submission.objects.create(
        filing=filing,
        actor=actor,
        content_hash="0" * 64,
        endpoint="http://127.0.0.1/sandbox/vms/",
        region="cn-beijing",
        request_body="{}",
        request_sha256="0" * 64,
        started_at=now - timedelta(days=days),
        finished_at=now - timedelta(days=days),
        duration_ms=5,
        outcome=Submission.Outcome.ACCEPTED,
    )


def test_filings_waiting_past_the_alert_age_remind_the_reviewers(
    team: dict[str, User], settings: Any
) -> None:
    settings.PORTAL_WAITING_ALERT_DAYS = 5
    waiting = approved_filing(team["preparer"], team["reviewer"])
    recent = approved_filing(team["preparer"], team["reviewer"], code=VALID_CODES[1])
    sent_days_ago(waiting, team["reviewer"], 6)
    sent_days_ago(recent, team["reviewer"], 4)

    out = StringIO()
    call_command("send_reminders", stdout=out)

    assert told() == {"reviewer": "waiting", "reviewer2": "waiting", "root": "waiting"}
    assert {n.filing_id for n in Notification.objects.all()} == {waiting.pk}
    assert "has waited on Volcengine for 6 days" in Notification.objects.first().text  # type: ignore[union-attr]
    assert out.getvalue().splitlines() == [
        "document_expiring: 0 notification(s)",
        "waiting: 3 notification(s)",
        "3 notification(s) created",
    ]
    call_command("send_reminders", stdout=StringIO())
    assert Notification.objects.count() == 3


# --- in the portal


def notify(user: User, count: int, **extra: Any) -> list[Notification]:
    base = AuditEvent.objects.count() * 1000 + Notification.objects.count()
    return [
        Notification.objects.create(
            recipient=user,
            kind=Notice.APPROVED,
            text=f"notice {index}",
            event_seq=base + index + 1,
            **extra,
        )
        for index in range(count)
    ]


def count_shown(html: str) -> str:
    start = html.index('id="notification-count"')
    return html[html.index(">", start) + 1 : html.index("</span>", start)]


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_top_bar_shows_the_unread_count_and_the_newest(team: dict[str, User]) -> None:
    filing = complete_filing(team["preparer"])
    notify(team["preparer"], 7, filing=filing)
    notify(team["preparer"], 2, read_at=timezone.now())
    notify(team["preparer"], 1, in_portal=False)
    notify(team["reviewer"], 4)
    client = client_of(team["preparer"])

    html = client.get(reverse("admin:index")).content.decode()

    assert count_shown(html) == "7"
    menu = html[html.index('id="notifications-menu"') : html.index("</details>")]
    assert menu.count("<li>") == 5
    assert f'href="/admin/filings/filing/{filing.pk}/change/"' in menu
    assert "notice 6" in menu  # newest first
    assert "notice 1" not in menu
    assert reverse("admin:notifications_preferences") in menu
    # The review queue's link is still there for reviewers.
    reviewer_html = client_of(team["reviewer"]).get(reverse("admin:index")).content.decode()
    assert count_shown(reviewer_html) == "4"
    assert reverse("admin:filings_filing_review_queue") in reviewer_html


def test_the_top_bar_costs_one_query_whatever_the_count(team: dict[str, User]) -> None:
    client = client_of(team["auditor"])
    url = reverse("admin:index")
    client.get(url)
    with CaptureQueriesContext(connection) as none:
        client.get(url)
    notify(team["auditor"], 60)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert count_shown(html) == "60"
    assert len(many) == len(none)
    assert sum("notifications_notification" in q["sql"] for q in many.captured_queries) == 1


def test_my_notifications_newest_first_marked_read_by_post(team: dict[str, User]) -> None:
    filing = complete_filing(team["preparer"])
    mine = notify(team["preparer"], 3, filing=filing)
    theirs = notify(team["reviewer"], 1)
    client = client_of(team["preparer"])
    url = reverse("admin:notifications_notification_changelist")

    html = client.get(url).content.decode()
    assert html.index("notice 2") < html.index("notice 1") < html.index("notice 0")
    assert f'name="pk" value="{theirs[0].pk}"' not in html
    assert html.count(f'href="/admin/filings/filing/{filing.pk}/change/"') >= 3

    read_url = reverse("admin:notifications_read")
    assert client.get(read_url).status_code == 405
    client.post(read_url, {"pk": [mine[0].pk, theirs[0].pk]})
    assert set(Notification.objects.filter(read_at__isnull=False)) == {mine[0]}
    client.post(read_url)
    assert Notification.objects.filter(recipient=team["preparer"], read_at=None).count() == 0
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None
    assert count_shown(client.get(url).content.decode()) == "0"


def test_the_list_page_reads_a_fixed_number_of_queries(team: dict[str, User]) -> None:
    filing = complete_filing(team["preparer"])
    notify(team["preparer"], 3, filing=filing)
    client = client_of(team["preparer"])
    url = reverse("admin:notifications_notification_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    notify(team["preparer"], 120, filing=filing)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_a_reminder_of_a_document_taken_over_names_the_newest_filing_that_sends_it(
    team: dict[str, User],
) -> None:
    first = complete_filing(team["preparer"])
    second = editing.filing_create(actor=team["preparer"], company=first.company)
    licence = first.documents.get(kind=Document.Kind.BUSINESS_LICENSE, superseded_at=None)
    Document.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() + timedelta(days=10)
    )

    reminders_send()

    assert {n.filing_id for n in Notification.objects.all()} == {second.pk}
    assert all(f"#{second.pk}" in n.text for n in Notification.objects.all())
