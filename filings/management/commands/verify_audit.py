"""`manage.py verify_audit`: the hash chain and every anchor; exit 1 naming what is wrong."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from filings.audit.anchors import verify_trail


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain with constant memory, and check it against every "
        "anchor (a truncated tail or a chain rewritten with the key disagrees with an anchor)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since-last-anchor",
            action="store_true",
            help="walk only the events after the newest anchor that matches (the daily check)",
        )

    def handle(self, *args: Any, since_last_anchor: bool, **options: Any) -> None:
        result = verify_trail(since_last_anchor=since_last_anchor)
        report = result.chain
        if not report.ok:
            raise CommandError(f"audit chain broken at event #{report.bad_seq}: {report.reason}")
        if result.problems:
            more = len(result.problems) - 1
            raise CommandError(
                str(result.problems[0]) + (f" (and {more} more anchor problems)" if more else "")
            )
        plural = "" if result.anchors == 1 else "s"
        if result.since is not None:
            walked = f"{report.count} events after anchor #{result.since.seq}"
        else:
            walked = f"{report.count} events"
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {walked}, head #{report.head_seq} {report.head_hash}; "
                f"agrees with {result.anchors} anchor{plural}"
            )
        )
