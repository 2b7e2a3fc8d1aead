"""`manage.py seed_demo`: idempotent demo users, companies and filings (development only)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from filings.demo import seed


class Command(BaseCommand):
    help = "Create demo users, companies and filings (demo passwords: see README)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo users. Use --force to insist."
            )
        made = seed()
        self.stdout.write("\n".join(made) if made else "demo data already present")
