"""Walk the workflow policy table: every row that a person makes has a button, a permission and
a service; every button on the page is a row; a row added to the table needs no other edit."""

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from filings import workflow
from filings.models import AuditEvent, Filing
from filings.policy_doc import replace_block
from filings.services.review import PERFORM
from filings.workflow import EDIT, TRANSITIONS, Action, State, Transition
from tests.builders import complete_filing

pytestmark = pytest.mark.django_db

ARCHITECTURE = Path(settings.BASE_DIR) / "docs" / "ARCHITECTURE.md"
BUTTON = re.compile(r'<button[^>]*name="act" value="([a-z_]+)"')


def person_rows() -> list[Transition]:
    return [move for move in TRANSITIONS if move.by_person]


@pytest.mark.parametrize("move", TRANSITIONS, ids=lambda m: f"{m.action.value}@{m.source.value}")
def test_every_row_is_either_the_portals_or_a_persons_with_a_button(move: Transition) -> None:
    if move.permission is None:
        assert (move.label, move.confirm, move.done, move.page, move.needs) == (
            "",
            "",
            "",
            "",
            frozenset(),
        )
        return
    assert str(move.label)
    assert move.permission.startswith("filings.")
    if move.page:
        assert reverse(move.page, args=[1])
    else:
        assert str(move.done)
        assert move.action in PERFORM


def test_every_service_behind_a_button_is_a_row_and_one_action_has_one_permission() -> None:
    assert set(PERFORM) == {move.action for move in person_rows() if not move.page}
    for action in Action:
        permissions = {move.permission for move in TRANSITIONS if move.action == action}
        assert len(permissions) <= 1, action


def the_page(client: Client, filing: Filing) -> str:
    response = client.get(reverse("admin:filings_filing_change", args=[filing.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("state", list(State))
def test_the_buttons_on_the_page_are_exactly_the_rows_from_its_state(
    state: State, preparer: User, superuser: User
) -> None:
    filing = complete_filing(preparer)
    Filing.objects.filter(pk=filing.pk).update(status=state)
    client = Client()
    client.force_login(superuser)  # holds every permission; made no change (four-eyes)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = the_page(client, filing)

    expected = [m for m in workflow.moves_from(state) if m.by_person]
    assert sorted(BUTTON.findall(page)) == sorted(m.action.value for m in expected if not m.page)
    pages = {m.page for m in expected if m.page}  # one link per page
    assert page.count('class="button page-link"') == len(pages)
    for name in pages:
        assert page.count(f'id="{name.removeprefix("admin:filings_filing_")}-link"') == 1
    for move in expected:
        assert escape(str(move.label)) in page


def test_a_row_added_to_the_table_shows_up_as_a_working_button(
    monkeypatch: Any, preparer: User, reviewer: User
) -> None:
    """A hypothetical move: a preparer takes an approved filing back to draft."""
    added = Transition(
        Action.WITHDRAW,
        State.APPROVED,
        State.DRAFT,
        "filing.withdrawn",
        EDIT,
        label="Take back",
        done="Taken back.",
    )
    monkeypatch.setattr(workflow, "TRANSITIONS", (*TRANSITIONS, added))
    filing = complete_filing(preparer)
    Filing.objects.filter(pk=filing.pk).update(status=State.APPROVED)
    client = Client()
    client.force_login(preparer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert "withdraw" in BUTTON.findall(the_page(client, filing))
    response = client.post(
        reverse("admin:filings_filing_act", args=[filing.pk, "withdraw"]), follow=True
    )

    filing.refresh_from_db()
    assert filing.status == State.DRAFT
    assert AuditEvent.objects.filter(filing=filing).last().kind == "filing.withdrawn"  # type: ignore[union-attr]
    assert "Taken back." in response.content.decode()


def test_the_rows_are_frozen_values() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TRANSITIONS[0].label = "changed"  # type: ignore[misc]


def test_the_architecture_page_shows_the_current_table() -> None:
    document = ARCHITECTURE.read_text(encoding="utf-8")

    assert replace_block(document) == document, "run manage.py render_policy"
