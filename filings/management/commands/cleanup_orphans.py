"""`manage.py cleanup_orphans`: delete stored objects that no document row refers to."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from filings.storage import delete_object, orphaned_keys


class Command(BaseCommand):
    help = (
        "List (and with --delete, remove) objects under filings/ that no Document refers to, "
        "e.g. left by a crash between storing an upload and committing its row. Objects younger "
        "than --minutes are kept: their upload may still be committing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=float, default=60.0)
        parser.add_argument("--delete", action="store_true", help="delete them (default: list)")

    def handle(self, *args: Any, minutes: float, delete: bool, **options: Any) -> None:
        keys = orphaned_keys(older_than=timedelta(minutes=minutes))
        for key in keys:
            if delete:
                delete_object(key)
            self.stdout.write(("deleted " if delete else "orphan ") + key)
        self.stdout.write(f"{len(keys)} orphaned object(s){' deleted' if delete else ''}")
