"""Notifications delivered by a real `manage.py db_worker` process: a filing is submitted,
approved and sent to the sandbox over HTTP; each change enqueues its task after commit, and the
worker writes the notices and the e-mails (the file-based mail backend, in a folder of the test's
own, given to the worker through its environment)."""

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from filings.models import Filing, Submission
from filings.notifications.models import Notification
from filings.notifications.rules import Notice
from filings.services import sending
from tests.builders import approved_filing, fresh
from tests.workers import start_worker

SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # between the messages of one file-based backend's file


def read_mails(folder: Path) -> list[EmailMessage]:
    """Every message the file-based backend wrote into `folder`."""
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                messages.append(message)
    return messages


def body(message: EmailMessage) -> str:
    return str(message.get_content())


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_tells_reviewers_and_the_preparer_by_email(
    settings: Any,
    sandbox: str,
    preparer: User,
    reviewer: User,
    reviewer2: User,
    tmp_path: Path,
) -> None:
    for user in (preparer, reviewer, reviewer2):
        user.email = f"{user.username}@example.invalid"
        user.save(update_fields=["email"])
    filing = approved_filing(preparer, reviewer)  # submitted, then approved
    sending.filing_send(actor=reviewer, filing=filing)  # the sandbox accepts it
    assert fresh(filing).status == Filing.Status.SUBMITTED
    queued = DBTaskResult.objects.filter(task_path__endswith="notify_event")
    assert queued.count() == 3  # submitted, approved, the accepted answer
    assert Notification.objects.count() == 0  # nothing before the worker runs

    mail_dir = tmp_path / "mail"
    worker = start_worker(
        settings,
        "--batch",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    output, _ = worker.communicate(timeout=90)
    assert worker.returncode == 0, output

    assert sorted(queued.values_list("status", "return_value")) == [
        ("SUCCESSFUL", 1),
        ("SUCCESSFUL", 1),
        ("SUCCESSFUL", 2),
    ]
    rows = Notification.objects.order_by("event_seq", "recipient__username")
    assert [(n.recipient.username, n.kind, n.email) for n in rows] == [
        ("reviewer", "submitted", "sent"),
        ("reviewer2", "submitted", "sent"),
        ("preparer", "approved", "sent"),
        ("preparer", "sent", "sent"),
    ]
    # The worker writes in the portal's language, as this process translates it.
    with translation.override(settings.LANGUAGE_CODE):
        subject = {kind: f"{Notice(kind).label} · #{filing.pk}" for kind in Notice.values}
    mails = read_mails(mail_dir)
    assert sorted((m["To"], m["Subject"]) for m in mails) == sorted(
        [
            ("preparer@example.invalid", subject["approved"]),
            ("preparer@example.invalid", subject["sent"]),
            ("reviewer2@example.invalid", subject["submitted"]),
            ("reviewer@example.invalid", subject["submitted"]),
        ]
    )
    sent = next(m for m in mails if m["Subject"] == subject["sent"])
    assert Submission.objects.get().provider_request_id in body(sent)
    assert f"/admin/filings/filing/{filing.pk}/change/" in body(sent)
    assert body(sent).startswith(rows.get(kind="sent").text)
