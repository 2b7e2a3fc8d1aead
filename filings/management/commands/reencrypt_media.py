"""`manage.py reencrypt_media`: every stored document under the current media key."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from filings.errors import FilingsError
from filings.media_crypto import MediaKeyError
from filings.services.media import media_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored document with the current key (the first in PORTAL_MEDIA_KEYS). "
        "Rotate by putting the new key first and keeping the old ones until this has run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = media_reencrypt()
        except (FilingsError, MediaKeyError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"key {result.key_id}: {result.changed} re-encrypted, "
            f"{result.unchanged} already current"
        )
