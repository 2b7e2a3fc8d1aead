"""`manage.py render_policy`: rewrite the workflow policy block of docs/ARCHITECTURE.md."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from filings.policy_doc import replace_block

ARCHITECTURE = Path(settings.BASE_DIR) / "docs" / "ARCHITECTURE.md"


class Command(BaseCommand):
    help = "Render the workflow table and state diagram into docs/ARCHITECTURE.md."

    def handle(self, *args: Any, **options: Any) -> None:
        current = ARCHITECTURE.read_text(encoding="utf-8")
        updated = replace_block(current)
        if updated == current:
            self.stdout.write("docs/ARCHITECTURE.md is up to date")
            return
        ARCHITECTURE.write_text(updated, encoding="utf-8")
        self.stdout.write("docs/ARCHITECTURE.md: policy block rewritten")
