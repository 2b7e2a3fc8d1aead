"""`manage.py send_filing <id> --as <username>`: the admin's send of a company or number filing,
from the command line."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from filings.errors import FilingsError
from filings.models import Filing
from filings.outcomes import describe
from filings.services.sending import filing_send


class Command(BaseCommand):
    help = (
        "Send one approved filing (company or number filing) to Volcengine once. "
        "Exit 0 only when it ends SUBMITTED."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("filing_id", type=int)
        parser.add_argument("--as", dest="username", required=True, help="who is sending")

    def handle(self, *args: Any, filing_id: int, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        filing = Filing.objects.filter(pk=filing_id).first()
        if filing is None:
            raise CommandError(f"No filing #{filing_id}.")
        try:
            submission = filing_send(actor=user, filing=filing)
        except FilingsError as exc:
            raise CommandError(exc.message) from exc
        filing.refresh_from_db()
        outcome = describe(submission)
        line = (
            f"filing #{filing.pk}: {filing.status} · outcome {outcome.outcome} · "
            f"HTTP {outcome.http_status or '-'} · RequestId {outcome.request_id or '-'}"
            f"{' · ' + outcome.said if outcome.said else ''}"
        )
        if filing.status != Filing.Status.SUBMITTED:
            raise CommandError(line)
        self.stdout.write(self.style.SUCCESS(line))
