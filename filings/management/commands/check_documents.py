"""`manage.py check_documents`: every stored document is readable and has its recorded SHA-256."""

import hashlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from filings.errors import StorageUnavailable
from filings.models import Document
from filings.storage import read_object


def problem_of(document: Document) -> str:
    """What is wrong with the document's stored object ("" when it reads back as uploaded)."""
    try:
        data = read_object(str(document.storage_key))
    except FileNotFoundError:
        return "missing"
    except ValueError as exc:  # an encrypted file that cannot be decrypted (MediaKeyError)
        return f"unreadable: {exc}"
    if hashlib.sha256(data).hexdigest() != document.sha256:
        return "SHA-256 mismatch"
    return ""


class Command(BaseCommand):
    help = (
        "Read every document that has a stored object (current and replaced versions; purged "
        "ones have none) through the configured storage and compare its SHA-256 with the one "
        "recorded at upload. Exit 1 naming each missing, unreadable or different document, "
        "e.g. after restoring a backup."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        documents = Document.objects.filter(storage_key__isnull=False).order_by("pk")
        checked = 0
        problems = []
        try:
            for document in documents.iterator(chunk_size=200):
                checked += 1
                problem = problem_of(document)
                if problem:
                    # The uuid and kind only: a file name may be personal data.
                    problems.append(
                        f"document {document.uuid} ({document.kind}, filing #{document.filing_id})"
                        f": {problem}"
                    )
        except StorageUnavailable as exc:
            raise CommandError(f"the document store is not reachable: {exc}") from exc
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} of {checked} documents failed the check")
        self.stdout.write(
            self.style.SUCCESS(f"{checked} documents read back with their recorded SHA-256")
        )
