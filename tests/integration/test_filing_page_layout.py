"""The filing page, the documents page and the send page as the server renders them: one
structure (status and next step, the form, the history), form errors on top with links to their
fields, scripts numbered by the portal, texts that follow the filing's state, and the page
following the filing's kind (company or number)."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from filings.admin.documents import checklist_heading
from filings.audit.labels import event_label
from filings.models import AuditEvent, CallScript, Document, Filing
from filings.preflight import content_checks
from filings.selectors import filing_timeline
from filings.services import editing, review
from filings.services.numbers import numbers_add, numbers_file
from filings.workflow import Action, State, check_transition
from tests import builders

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def change_url(filing: Filing) -> str:
    return reverse("admin:filings_filing_change", args=[filing.pk])


def page_values(response: Any) -> dict[str, Any]:
    """What the browser would post back unchanged: the fields and the formsets' own data."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        if not form.fields[name].disabled:
            value = form[name].value()
            data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for bound in [formset.management_form, *formset.forms]:
            for name in bound.fields:
                if bound.fields[name].disabled:
                    continue
                value = bound[name].value()
                data[bound.add_prefix(name)] = "" if value is None else value
    return data


def position_of(html: str, marker: str) -> int:
    found = html.find(marker)
    assert found >= 0, f"{marker} is not on the page"
    return found


# --- one structure ------------------------------------------------------------------------------


def test_the_filing_page_reads_status_then_form_then_save_bar_then_history(
    client: Client, preparer: User
) -> None:
    filing = builders.complete_filing(preparer)
    html = signed_in(client, preparer).get(change_url(filing)).content.decode()

    order = [
        position_of(html, 'id="workflow"'),
        position_of(html, 'name="act" value="submit"'),
        position_of(html, 'id="filing_form"'),
        position_of(html, 'id="documents-group"'),
        position_of(html, 'id="scripts-group"'),
        position_of(html, 'class="submit-row"'),
        position_of(html, 'id="history"'),
    ]
    assert order == sorted(order), order
    # One save bar, under the form's content.
    assert html.count('class="submit-row"') == 1


def test_the_documents_inline_lists_what_is_sent_and_is_one_line_when_empty(
    client: Client, preparer: User, draft: Filing
) -> None:
    signed_in(client, preparer)
    empty = client.get(change_url(draft)).content.decode()
    assert 'id="no-documents"' in empty
    assert reverse("admin:filings_filing_documents", args=[draft.pk]) in empty
    assert 'id="documents-heading"' not in empty  # no empty table with its heading band

    filing = builders.complete_filing(preparer, code=builders.VALID_CODES[1])
    response = client.get(change_url(filing))
    [documents] = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "documents"
    ]
    # The composed ID cards' front and back originals are on the documents page, not here.
    assert {form.instance.part for form in documents.forms} == {Document.Part.MAIN}
    assert len(documents.forms) == len(builders.KINDS)
    assert 'id="no-documents"' not in response.content.decode()


# --- one history --------------------------------------------------------------------------------


def test_the_history_is_the_audit_trail_in_words_and_django_s_change_log_is_gone(
    client: Client, preparer: User
) -> None:
    filing = builders.complete_filing(preparer)
    signed_in(client, preparer)
    html = client.get(change_url(filing)).content.decode()
    history_url = reverse("admin:filings_filing_history", args=[filing.pk])

    assert history_url not in html  # no "History" button
    redirect = client.get(history_url)
    assert redirect.status_code == 302
    assert redirect["Location"] == change_url(filing) + "#history"

    section = html[position_of(html, 'id="history"') :]
    events = list(filing_timeline(filing))
    assert events
    for event in events:
        link = reverse("admin:filings_auditevent_change", args=[event.pk])
        assert f'<a href="{link}">{event_label(event.kind)}</a>' in section
    assert ">filing.created<" not in section  # the code is not shown, its label is
    assert event_label("filing.created") != "filing.created"


# --- scripts: numbered by the portal, errors on top, typed input kept ---------------------------


def test_a_new_script_needs_no_position_and_is_numbered_next(
    client: Client, preparer: User, draft: Filing
) -> None:
    editing.script_add(actor=preparer, filing=draft, scene="快递", content="您好，快递到了。")
    signed_in(client, preparer)
    page = client.get(change_url(draft))
    new_row = page.context["inline_admin_formsets"][-1].formset.forms[-1]
    assert new_row.fields["position"].disabled
    assert 'placeholder="auto"' in page.content.decode()

    data = page_values(page)
    data.update({"scripts-1-scene": "售后", "scripts-1-content": "您好，这里是售后。"})
    response = client.post(change_url(draft), {**data, "_continue": "Save"})

    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(draft.scripts.values_list("position", "scene")) == [(1, "快递"), (2, "售后")]


def test_a_refused_save_lists_its_errors_on_top_keeps_the_input_and_holds_the_next_step(
    client: Client, preparer: User
) -> None:
    filing = builders.complete_filing(preparer)
    signed_in(client, preparer)
    page = client.get(change_url(filing))
    typed = "您好，这里是火山示例科技，想了解您的使用体验。"
    data = page_values(page)
    data.update({"scripts-2-scene": "", "scripts-2-content": typed})

    response = client.post(change_url(filing), {**data, "_save": "Save"})

    assert response.status_code == 200
    html = response.content.decode()
    summary = html[position_of(html, 'id="form-errors"') :]
    assert position_of(html, 'id="form-errors"') < position_of(html, 'id="workflow"')
    assert re.search(r'<a href="#id_scripts-2-scene">[^<]*Scene: This field is required', summary)
    assert typed in html  # the typed script is on the page again
    # The next step waits: no workflow button posts while the form holds unsaved input.
    assert 'id="save-first"' in html
    assert 'name="act"' not in html
    assert 'data-unsaved="true"' in html
    assert CallScript.objects.filter(filing=filing).count() == 2


# --- texts follow the state ---------------------------------------------------------------------


def test_the_documents_page_says_missing_only_in_a_draft_that_misses_something(
    client: Client, preparer: User, draft: Filing
) -> None:
    signed_in(client, preparer)
    documents = reverse("admin:filings_filing_documents", args=[draft.pk])
    missing = checklist_heading(draft, content_checks(draft))
    assert missing.startswith("Still missing before review")
    assert missing in client.get(documents).content.decode()

    filing = builders.in_review(preparer, code=builders.VALID_CODES[1])
    html = client.get(reverse("admin:filings_filing_documents", args=[filing.pk])).content
    assert b"Still missing" not in html
    assert b'id="state-note"' in html
    assert b'class="missing"' not in html


def test_the_send_page_of_a_sent_filing_says_what_happened_and_asks_nothing(
    client: Client, preparer: User, reviewer: User, sandbox: str
) -> None:
    filing = builders.approved_filing(preparer, reviewer)
    signed_in(client, reviewer)
    send_url = reverse("admin:filings_filing_send", args=[filing.pk])
    question = str(check_transition(Action.START_SENDING, State.APPROVED).confirm)
    assert question in client.get(send_url).content.decode()

    client.post(send_url, {"confirm": "yes"})
    filing.refresh_from_db()
    assert filing.status == State.SUBMITTED

    html = client.get(send_url).content.decode()
    assert question not in html
    assert 'id="confirm-send"' not in html
    assert 'id="send-done"' in html
    submission = filing.submissions.get()
    assert reverse("admin:filings_submission_change", args=[submission.pk]) in html
    assert submission.provider_request_id in html


def test_remove_asks_first_and_approve_is_a_second_step(
    client: Client, preparer: User, reviewer: User
) -> None:
    filing = builders.complete_filing(preparer)
    signed_in(client, preparer)
    documents = client.get(reverse("admin:filings_filing_documents", args=[filing.pk]))
    removes = re.findall(r'<button type="submit" class="button remove"([^>]*)>', documents.text)
    assert len(removes) == len(builders.KINDS)
    assert all("data-confirm=" in attributes for attributes in removes)

    review.filing_submit(actor=preparer, filing=filing)
    signed_in(client, reviewer)
    page = client.get(reverse("admin:filings_filing_review", args=[filing.pk])).text
    [approve] = re.findall(r'<button[^>]*value="approve"[^>]*>', page)
    assert 'data-confirm="' in approve
    assert check_transition(Action.APPROVE, State.IN_REVIEW).confirm


# --- the page follows the filing's kind ---------------------------------------------------------


@pytest.fixture
def number_filing(preparer: User) -> Filing:
    company = builders.company(preparer)
    numbers_add(
        actor=preparer,
        company=company,
        items=[(1, "13800138000")],
        script_scene="快递",
        script="您好，您的快递到了。",
    )
    number = company.numbers.get()
    [filing] = numbers_file(actor=preparer, numbers=[number.pk], action="add").filings
    return filing


def test_a_number_filing_page_shows_its_action_script_and_numbers_not_call_scripts(
    client: Client, preparer: User, number_filing: Filing
) -> None:
    response = signed_in(client, preparer).get(change_url(number_filing))
    form = response.context["adminform"].form
    assert set(form.fields) == {"script_scene", "script"}
    html = response.content.decode()
    assert "field-number_action" in html  # shown, read-only
    prefixes = [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]
    assert "scripts" not in prefixes
    assert "filing_numbers" in prefixes
    assert "13800138000" in html


def test_a_number_filing_s_script_is_edited_through_the_filing_service(
    client: Client, preparer: User, number_filing: Filing
) -> None:
    signed_in(client, preparer)
    page = client.get(change_url(number_filing))
    data = {**page_values(page), "script": "您好，您的包裹到了。", "_continue": "Save"}
    response = client.post(change_url(number_filing), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    number_filing.refresh_from_db()
    assert number_filing.script == "您好，您的包裹到了。"
    kinds = list(AuditEvent.objects.filter(filing=number_filing).values_list("kind", flat=True))
    assert kinds[-1] == "filing.updated"


def test_the_filing_list_shows_and_filters_by_kind(
    client: Client, preparer: User, draft: Filing, number_filing: Filing
) -> None:
    signed_in(client, preparer)
    listing = client.get(reverse("admin:filings_filing_changelist"))
    assert "column-kind" in listing.content.decode()
    only_numbers = client.get(reverse("admin:filings_filing_changelist") + "?kind__exact=number")
    shown = [row.pk for row in only_numbers.context["cl"].result_list]
    assert shown == [number_filing.pk]
    company_page = client.get(change_url(draft))
    assert set(company_page.context["adminform"].form.fields) == {
        "callee_source",
        "business_carrier",
    }
