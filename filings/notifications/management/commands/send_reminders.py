"""`manage.py send_reminders`: today's reminders (documents to renew, filings waiting on
Volcengine). Run it daily from cron; a second run the same day creates nothing."""

from typing import Any

from django.core.management.base import BaseCommand

from filings.notifications.reminders import reminders_send
from filings.notifications.rules import Notice


class Command(BaseCommand):
    help = (
        "Remind the preparers of each company of its documents that expire within 30 days (or "
        "did), and the reviewers of each filing waiting on Volcengine longer than "
        "PORTAL_WAITING_ALERT_DAYS; in the portal and by e-mail, as each user chose. Idempotent "
        "per day, item and user."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = reminders_send()
        for notice in (Notice.DOCUMENT_EXPIRING, Notice.WAITING):
            self.stdout.write(f"{notice.value}: {report.created[notice.value]} notification(s)")
        self.stdout.write(f"{report.total} notification(s) created")
