"""A user's own writes: marking notifications read, choosing which kinds to get.

These are a person's own reading state and settings, not changes to filings, so they write no
audit event.
"""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from filings.notifications.models import Notification, NotificationPreference
from filings.notifications.rules import Notice
from filings.services.common import Actor, user_id


def notifications_mark_read(*, user: Actor, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read (those of `ids`, or all); returns how many."""
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def preferences_save(*, user: Actor, choices: Mapping[str, tuple[bool, bool]]) -> None:
    """Store (in the portal, by e-mail) per kind; a kind left out, or on in both, is the
    default and keeps no row."""
    owner = user_id(user)
    NotificationPreference.objects.filter(user_id=owner).delete()
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user_id=owner, kind=kind, in_portal=portal, email=email)
        for kind, (portal, email) in choices.items()
        if kind in Notice.values and not (portal and email)
    )


def preferences_of(user: Actor) -> dict[str, tuple[bool, bool]]:
    """(in the portal, by e-mail) for every kind, the defaults filled in."""
    stored = {
        p.kind: (p.in_portal, p.email)
        for p in NotificationPreference.objects.filter(user_id=user_id(user))
    }
    return {kind: stored.get(kind, (True, True)) for kind in Notice.values}
