"""Who holds a filing's next step, read from the workflow table and the roles table. No ORM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from filings.roles import ROLES
from filings.workflow import State, Transition, moves_from

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The roles' names as people read them; a role missing here is shown by its group name.
ROLE_LABELS: dict[str, StrOrPromise] = {
    "Preparer": _("Preparer"),
    "Reviewer": _("Reviewer"),
    "Auditor": _("Auditor"),
}


@dataclass(frozen=True)
class NextStep:
    """One thing a person can do next: the move's button text, the roles whose permissions
    allow it, and whether four-eyes applies (not whoever changed the filing)."""

    label: str
    roles: tuple[str, ...]
    four_eyes: bool = False


def roles_holding(permission: str) -> tuple[str, ...]:
    """The names (translated) of the roles of filings.roles that hold `permission`."""
    app, _sep, codename = permission.partition(".")
    if app != "filings":
        return ()
    return tuple(
        str(ROLE_LABELS.get(name, name))
        for name, codenames in ROLES.items()
        if codename in codenames
    )


def _undoes_work(move: Transition) -> bool:
    return move.target == State.DRAFT


def next_steps(state: State | str) -> list[NextStep]:
    """The moves people can make from `state`, each with who may make it.

    Moves that lead forward come first; a move back to a draft (withdraw, request changes)
    comes after them. Moves that share a button (a decision page) are one step.
    """
    moves = sorted(moves_from(state), key=_undoes_work)
    steps: list[NextStep] = []
    seen: set[tuple[str, str]] = set()
    for move in moves:
        if move.permission is None or (str(move.label), move.permission) in seen:
            continue
        seen.add((str(move.label), move.permission))
        steps.append(NextStep(str(move.label), roles_holding(move.permission), move.four_eyes))
    return steps


def moved_by_portal(state: State | str) -> bool:
    """Does the portal itself move a filing on from `state` (a send's answer), nobody else?"""
    moves = moves_from(state)
    return bool(moves) and all(move.permission is None for move in moves)
