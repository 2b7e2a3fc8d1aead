"""`manage.py verify_audit`: walk the audit chain; exit 1 naming the first broken event."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from filings.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain with constant memory."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"audit chain broken at event #{report.bad_seq}: {report.reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {report.count} events, "
                f"head #{report.head_seq} {report.head_hash}"
            )
        )
