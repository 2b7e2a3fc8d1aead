"""`manage.py anchor_audit`: write the audit chain's head to the anchor store."""

from typing import Any

from django.core.management.base import BaseCommand

from filings.audit.anchors import anchor_store
from filings.services.anchoring import audit_anchor


class Command(BaseCommand):
    help = (
        "Write the audit chain's head (sequence, hash, time, HMAC) to the anchor store outside "
        "the database, so a later truncation or rewrite of the chain is detected."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = audit_anchor()
        if anchor is None:
            self.stdout.write("the audit chain is empty: nothing to anchor")
            return
        self.stdout.write(f"anchored #{anchor.seq} {anchor.hash} in {anchor_store().description}")
