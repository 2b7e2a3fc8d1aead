"""Helpers every service uses: permission checks and compare-and-set of a filing's status."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from filings import errors
from filings.four_eyes import has_changed
from filings.models import Filing
from filings.workflow import (
    Action,
    Transition,
    TransitionNotAllowed,
    check_transition,
    permission_for,
)

Actor = User | AnonymousUser


def require_perm(actor: Actor, perm: str) -> None:
    if not actor.is_authenticated or not actor.has_perm(perm):
        raise errors.NotPermitted(str(errors.NOT_PERMITTED))


def user_id(actor: Actor) -> int:
    """The acting user's id; anonymous actors never get as far as writing."""
    if actor.pk is None:
        raise errors.NotPermitted(str(errors.NOT_PERMITTED))
    return int(actor.pk)


def allowed_move(filing: Filing, action: Action) -> Transition:
    """The table's row for `action` from the filing's state, or StaleState naming the state."""
    try:
        return check_transition(action, filing.status)
    except TransitionNotAllowed as exc:
        raise errors.StaleState(
            str(errors.STALE_STATE).format(status=filing.get_status_display())
        ) from exc


def transition(filing: Filing, action: Action, **changes: Any) -> Transition:
    """Move `filing` by `action` if its status in the database is still what we read.

    A compare-and-set: the UPDATE only matches while the status is unchanged, so two clicks,
    two reviewers or two servers cannot both make the same move. The move stamps updated_at and
    state_since (the desk's "since when"); a caller may give state_since itself (a send's answer
    that makes the filing SUBMITTED gives the accepted send's start).
    """
    move = allowed_move(filing, action)
    changes["updated_at"] = timezone.now()
    changes.setdefault("state_since", changes["updated_at"])
    matched = Filing.objects.filter(pk=filing.pk, status=move.source).update(
        status=move.target, **changes
    )
    if matched != 1:
        current = Filing.objects.filter(pk=filing.pk).values_list("status", flat=True).first()
        label = Filing.Status(current).label if current else "?"
        raise errors.StaleState(str(errors.STALE_STATE).format(status=label))
    filing.status = move.target
    for name, value in changes.items():
        setattr(filing, name, value)
    return move


def person_move(actor: Actor, filing_id: int, action: Action) -> tuple[Filing, Transition]:
    """Start a person's move: the permission and four-eyes of its row, then the locked filing.

    The row is the one for the filing's current state; `transition` then makes the move.
    """
    permission = permission_for(action)
    if permission is None:
        raise errors.NotPermitted(str(errors.NOT_PERMITTED))
    require_perm(actor, permission)
    filing = lock_filing(filing_id)
    move = allowed_move(filing, action)
    if move.four_eyes and has_changed(filing.pk, actor.pk):
        raise errors.NotPermitted(str(errors.FOUR_EYES))
    return filing, move


def lock_filing(filing_id: int) -> Filing:
    """Lock a filing's row (only that row) and read it with its company.

    Locks are taken in the order audit.record states. Locking and reading are two statements:
    on PostgreSQL a SELECT … FOR UPDATE that waited for the lock returns the newest filing row but
    a joined company as it was before the wait; the read after the lock sees every commit.
    """
    locked = Filing.objects.select_for_update(of=("self",)).filter(pk=filing_id)
    if not locked.values_list("pk", flat=True):
        raise Filing.DoesNotExist(f"No filing #{filing_id}.")
    return Filing.objects.select_related("company").get(pk=filing_id)


def lock_filings(queryset: QuerySet[Filing]) -> list[Filing]:
    """Lock every filing of `queryset` (only their rows), in primary-key order: the lock order."""
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))
