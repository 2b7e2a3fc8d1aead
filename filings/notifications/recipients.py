"""Who an audience of the rules is: user ids, each audience read with one query."""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model

from filings.models import Filing
from filings.notifications.rules import Audience

REVIEW_PERMISSION = "filings.review_filing"
# with_perm needs one backend named when several are configured (axes comes first).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def reviewer_ids() -> set[int]:
    """Active users holding the review permission (by group, by user, or as superusers)."""
    users = get_user_model().objects.with_perm(REVIEW_PERMISSION, backend=MODEL_BACKEND)
    return set(users.values_list("pk", flat=True))


def company_preparer_ids(company_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per company, who created or last edited any of its filings."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = Filing.objects.filter(company_id__in=set(company_ids)).values_list(
        "company_id", "created_by_id", "updated_by_id"
    )
    for company_id, created_by, updated_by in rows:
        found[company_id].update((created_by, updated_by))
    return found


def audience_ids(audience: Audience, filing: Filing) -> set[int]:
    """The users `audience` names for one filing."""
    if audience == Audience.REVIEWERS:
        return reviewer_ids()
    if audience == Audience.PREPARERS:
        return {filing.created_by_id, filing.updated_by_id}
    return company_preparer_ids([filing.company_id])[filing.company_id]
