"""`manage.py purge_expired`: list (or with --execute, purge) documents past their retention."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from filings.models import Document
from filings.retention import purgeable, reason_of
from filings.services.retention import purge_expired


def describe(document: Document, reason: str) -> str:
    """One line per document; no file name (an ID card's name is personal data)."""
    uploaded = timezone.localtime(document.uploaded_at)
    return (
        f"{document.filing.company} · filing #{document.filing_id} · {document.kind} · "
        f"{document.part} · uploaded {uploaded:%Y-%m-%d %H:%M} · {reason}"
    )


class Command(BaseCommand):
    help = (
        "List the documents the retention rules say are due (a dry run, the default): every "
        "document of a company whose service ended more than PORTAL_RETENTION_DAYS ago, and "
        "versions replaced without ever being sent, PORTAL_DRAFT_RETENTION_DAYS after they were "
        "replaced; never anything of a company under legal hold or of a filing still under way. "
        "With --execute, purge them: the stored objects are deleted and the rows keep only what "
        "proves what was sent (kind, part, size, pixel size, SHA-256)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--execute", action="store_true", help="purge (default: list only)")

    def handle(self, *args: Any, execute: bool, **options: Any) -> None:
        if execute:
            done = [(p.document, p.reason) for p in purge_expired()]
        else:
            done = [(d, reason_of(d)) for d in purgeable(timezone.now())]
        prefix = "purged " if execute else "would purge "
        for document, why in done:
            self.stdout.write(prefix + describe(document, why.value))
        self.stdout.write(
            f"{len(done)} document(s) {'purged' if execute else 'due (dry run: nothing changed)'}"
        )
