"""The filing's workflow buttons and the one view they post to, both read from the policy table.

A button group is the moves from the filing's state that the user's permissions admit and that
ask for the same input: one form, with that input's fields, and one button per move.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from filings import workflow
from filings.admin.base import reported
from filings.content import content_hash
from filings.forms import MoveForm
from filings.four_eyes import has_changed
from filings.models import Document, Filing
from filings.services.decisions import justification_needed
from filings.services.review import filing_move
from filings.workflow import (
    Action,
    Input,
    Transition,
    button_groups,
    buttons,
)


@dataclass(frozen=True)
class ButtonGroup:
    moves: list[Transition]
    form: MoveForm

    @property
    def css(self) -> str:
        """CSS classes of the group's form: one per move, e.g. "move-request-changes"."""
        return " ".join(f"move-{move.action.value.replace('_', '-')}" for move in self.moves)


def workflow_buttons(
    request: HttpRequest,
    filing: Filing,
    documents: dict[str, Document],
    *,
    own_work: bool | None = None,
) -> list[ButtonGroup]:
    """The button groups `request.user` sees on `filing`, with the forms they carry.

    Moves under four-eyes are left out for whoever ever changed the filing's content
    (`own_work`, when the caller already asked `four_eyes.has_changed`).
    """
    allowed = buttons(filing.status, request.user.has_perm)
    if any(move.four_eyes for move in allowed):
        if own_work is None:
            own_work = has_changed(filing.pk, request.user.pk)
        if own_work:
            allowed = [move for move in allowed if not move.four_eyes]
    initial = {}
    if any(Input.SEEN_HASH in move.needs for move in allowed):
        initial[Input.SEEN_HASH.value] = content_hash(filing, documents)
    # A justification is asked for only where the approve service will want one.
    asks = any(Input.JUSTIFICATION in move.needs for move in allowed)
    skipped = {Input.JUSTIFICATION} if asks and not justification_needed(filing) else set()
    return [
        ButtonGroup(moves, MoveForm(moves[0].needs - skipped, initial=initial))
        for moves in button_groups(allowed)
    ]


def button_moves(action: str) -> list[Transition]:
    """The policy rows a button's action names (one per state it may start from)."""
    found = [m for m in workflow.TRANSITIONS if m.action.value == action and m.by_person]
    if not found or any(move.page for move in found):
        raise Http404
    return found


class WorkflowButtons:
    """Mixed into FilingAdmin: the one action view every workflow button posts to."""

    admin_site: Any
    has_view_permission: Any

    def workflow_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [path("<int:pk>/act/<str:action>/", view(self.act_view), name="filings_filing_act")]

    def act_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """POST: make the move through its service. A stray GET lands on the filing."""
        back = HttpResponseRedirect(reverse("admin:filings_filing_change", args=[pk]))
        rows = button_moves(action)
        if request.method != "POST":
            messages.warning(request, _("Use the buttons on the filing's page to do this."))
            return back
        filing = get_object_or_404(Filing, pk=pk)
        if not self.has_view_permission(request, filing):
            raise PermissionDenied
        # The row for the filing's state; from another state the service refuses the move.
        move = next((row for row in rows if row.source == filing.status), rows[0])
        form = MoveForm(move.needs, request.POST)
        if not form.is_valid():
            for field, problems in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for problem in problems:
                    messages.error(request, f"{label}: {problem}" if label else str(problem))
            return back
        with reported(request):
            filing_move(
                actor=request.user,
                filing=filing,
                action=Action(move.action),
                given={name: str(value) for name, value in form.cleaned_data.items()},
            )
            messages.success(request, str(move.done))
        return back
