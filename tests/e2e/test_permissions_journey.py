"""Journey (d): what a preparer and an auditor cannot do, seen from the browser: no button for
it, a 403 page for the direct URL, and the server refusing a forged request."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from filings.models import Document, Filing, Submission
from filings.sandbox.models import SandboxRequest
from filings.services import review, sending
from tests import builders
from tests.builders import KINDS
from tests.e2e.conftest import expect, href, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SAVE_BUTTONS = "input[name=_save], input[name=_continue], input[name=_addanother]"
EDITABLE_FIELDS = "#content-main form input:not([type=hidden]), #content-main textarea"


def test_preparer_cannot_approve_or_send(
    person: Any, preparer: User, reviewer: User, sandbox: str
) -> None:
    in_review = builders.complete_filing(preparer, code=builders.VALID_CODES[0])
    review.filing_submit(actor=preparer, filing=in_review)
    approved = builders.approved_filing(preparer, reviewer, code=builders.VALID_CODES[1])
    me = person(preparer)
    page = me.page

    # No reviewer link, no approve or request-changes control, no send action.
    expect(page.locator("a" + href("admin:filings_filing_review_queue"))).to_have_count(0)
    me.goto("admin:filings_filing_change", in_review.pk)
    expect(page.locator("#workflow .status.status-IN_REVIEW")).to_be_visible()
    expect(page.locator("#workflow button[name=act][value=approve]")).to_have_count(0)
    expect(page.locator("#workflow form.move-request-changes")).to_have_count(0)
    expect(page.locator("#workflow button[name=act][value=withdraw]")).to_have_count(1)
    me.goto("admin:filings_filing_change", approved.pk)
    expect(page.locator("#workflow .status.status-APPROVED")).to_be_visible()
    expect(page.locator("#send-link")).to_have_count(0)
    me.goto("admin:filings_filing_changelist")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("select[name=action] option[value=send_to_volcengine]")).to_have_count(0)

    # Direct URLs: the review queue, the review page (with its approve button), the send page.
    for name, args in [
        ("admin:filings_filing_review_queue", ()),
        ("admin:filings_filing_review", (in_review.pk,)),
        ("admin:filings_filing_send", (approved.pk,)),
    ]:
        response = me.goto(name, *args)
        assert response.status == 403, (name, response.status)
        expect(
            page.locator("#workflow button[name=act][value=approve], #confirm-send")
        ).to_have_count(0)

    # Forged POSTs with the preparer's own session and CSRF token: refused by the server.
    token = next(c["value"] for c in me.context.cookies() if c["name"] == "csrftoken")
    forged = me.context.request.post(
        me.url("admin:filings_filing_act", in_review.pk, "approve"),
        form={"csrfmiddlewaretoken": token, "act": "approve"},
        headers={"Referer": me.url("admin:filings_filing_change", in_review.pk)},
        max_redirects=0,
    )
    assert forged.status == 302  # back to the filing, with an error message for the next page
    assert forged.headers["location"] == reverse("admin:filings_filing_change", args=[in_review.pk])
    # The refusal is shown on the next page (before anything else consumes the message).
    me.goto("admin:filings_filing_change", in_review.pk)
    expect(page.locator("ul.messagelist li.error")).to_be_visible()
    send = me.context.request.post(
        me.url("admin:filings_filing_send", approved.pk),
        form={"csrfmiddlewaretoken": token, "confirm": "yes"},
        headers={"Referer": me.url("admin:filings_filing_send", approved.pk)},
        max_redirects=0,
    )
    assert send.status == 403
    in_review.refresh_from_db()
    approved.refresh_from_db()
    assert (in_review.status, approved.status) == (Filing.Status.IN_REVIEW, Filing.Status.APPROVED)
    assert not Submission.objects.exists()
    assert not SandboxRequest.objects.exists()
    expect(page.locator("#workflow .status.status-IN_REVIEW")).to_be_visible()

    me.goto("admin:filings_filing_send", approved.pk)
    screenshot(page, "d-preparer-cannot-approve-or-send")


def test_auditor_sees_everything_and_can_change_nothing(
    person: Any, preparer: User, reviewer: User, auditor: User, sandbox: str
) -> None:
    draft = builders.complete_filing(preparer, code=builders.VALID_CODES[0])
    submitted = builders.approved_filing(preparer, reviewer, code=builders.VALID_CODES[1])
    submission = sending.filing_send(actor=reviewer, filing=submitted)
    assert submission.outcome == Submission.Outcome.ACCEPTED
    me = person(auditor)
    page = me.page

    # Changelists: no add link, no bulk action.
    for name in (
        "admin:filings_filing_changelist",
        "admin:filings_company_changelist",
        "admin:filings_submission_changelist",
        "admin:filings_auditevent_changelist",
    ):
        me.goto(name)
        expect(page.locator("#result_list tbody tr").first).to_be_visible()
        expect(page.locator("a.addlink")).to_have_count(0)
        expect(page.locator("select[name=action]")).to_have_count(0)

    # Change pages: read-only, no save button, no workflow button, no inline "add another".
    for name, pk in (
        ("admin:filings_filing_change", draft.pk),
        ("admin:filings_filing_change", submitted.pk),
        ("admin:filings_company_change", draft.company_id),
        ("admin:filings_submission_change", submission.pk),
    ):
        response = me.goto(name, pk)
        assert response.status == 200, (name, response.status)
        expect(page.locator("#content-main")).to_be_visible()
        expect(page.locator(SAVE_BUTTONS)).to_have_count(0)
        # (Django's inlines.js adds a hidden "add another" row even when adding is not allowed.)
        expect(page.locator("#content-main a.addlink:visible")).to_have_count(0)
        expect(page.locator(EDITABLE_FIELDS)).to_have_count(0)
        expect(page.locator("#workflow form")).to_have_count(0)
        expect(page.locator("#send-link")).to_have_count(0)

    # The documents page: nothing to upload or remove, and ID cards are hidden from auditors.
    me.goto("admin:filings_filing_documents", draft.pk)
    expect(page.locator("section.slot")).to_have_count(len(KINDS))
    expect(page.locator("#documents-page form")).to_have_count(0)
    expect(page.locator("#documents-page .hidden-doc")).to_have_count(len(Document.SENSITIVE_KINDS))
    id_card = draft.documents.get(kind=Document.Kind.PROPRIETOR_IDCARD, part="main")
    image = me.context.request.get(me.base_url + reverse("document-image", args=[id_card.uuid]))
    assert image.status == 404

    # Direct URLs of add pages and of the send page are refused.
    for name, args in [
        ("admin:filings_filing_add", ()),
        ("admin:filings_company_add", ()),
        ("admin:filings_filing_send", (submitted.pk,)),
        ("admin:filings_filing_review_queue", ()),
    ]:
        response = me.goto(name, *args)
        assert response.status == 403, (name, response.status)

    me.goto("admin:filings_filing_change", submitted.pk)
    expect(page.locator("#workflow .status.status-SUBMITTED")).to_be_visible()
    screenshot(page, "d-auditor-read-only")
