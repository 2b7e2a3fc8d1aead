"""`manage.py refresh_roles`: the groups Preparer, Reviewer and Auditor as filings.roles says."""

from typing import Any

from django.core.management.base import BaseCommand

from filings.roles import ROLES, refresh_roles


class Command(BaseCommand):
    help = (
        "Create or update the groups Preparer, Reviewer and Auditor so that each holds exactly "
        "the permissions listed in filings/roles.py; permissions added by hand are removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for change in refresh_roles():
            if change.created:
                what = f"created with {len(ROLES[change.name])} permissions"
            elif change.changed:
                parts = [f"+{code}" for code in change.added]
                parts += [f"-{code}" for code in change.removed]
                what = "updated: " + ", ".join(parts)
            else:
                what = "unchanged"
            self.stdout.write(f"{change.name}: {what}")
