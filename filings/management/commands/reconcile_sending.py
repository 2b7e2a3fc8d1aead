"""`manage.py reconcile_sending`: filings stuck in SENDING (a crash mid-send) become UNKNOWN."""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from filings.errors import FilingsError
from filings.services.sending import reconcile_sending


class Command(BaseCommand):
    help = (
        "Move filings that have been SENDING for longer than --minutes to UNKNOWN, so a reviewer "
        "resolves them with evidence. Nothing is resent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=float, default=15.0)
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="who is reconciling (needs the permission to send filings)",
        )

    def handle(self, *args: Any, minutes: float, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            moved = reconcile_sending(actor=user, older_than=timedelta(minutes=minutes))
        except FilingsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"moved to UNKNOWN: {', '.join(map(str, moved)) or 'none'}")
