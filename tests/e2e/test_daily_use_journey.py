"""Daily use, in the browser: typed scripts are never lost, the filing page has one structure and
one history, texts follow the filing's state, removing and approving ask first, the review page
has an image viewer and the licence beside the typed data, the queue link counts, and a phone can
upload from the first screen with touch targets of at least 44 px."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.models import CallScript, Document, Filing, Submission
from filings.selectors import filing_timeline
from filings.services import editing, review
from tests import builders
from tests.e2e.conftest import expect, href, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LICENCE = Document.Kind.BUSINESS_LICENSE
PHONE = {"width": 390, "height": 844}
TOUCH = 44  # px, the smallest comfortable touch target


class Dialogs:
    """Takes over a person's dialogs: confirmations get `answer`, "leave the page?" is refused."""

    def __init__(self, somebody: Any) -> None:
        self.seen: list[tuple[str, str]] = []
        self.answer = True
        somebody.page.remove_listener("dialog", somebody._on_dialog)
        somebody.page.on("dialog", self._handle)

    def _handle(self, dialog: Any) -> None:
        self.seen.append((dialog.type, dialog.message))
        if dialog.type == "beforeunload" or not self.answer:
            dialog.dismiss()
        else:
            dialog.accept()

    def kinds(self) -> list[str]:
        return [kind for kind, _message in self.seen]


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return dict(found)


def test_typed_scripts_survive_a_refused_save_and_nothing_bypasses_unsaved_input(
    person: Any, preparer: User
) -> None:
    filing = builders.complete_filing(preparer)
    me = person(preparer)
    page = me.page
    dialogs = Dialogs(me)
    change = me.url("admin:filings_filing_change", filing.pk)
    me.goto("admin:filings_filing_change", filing.pk)

    # A new script row is numbered by the portal: its position box is not asked for.
    expect(page.locator("#id_scripts-2-position")).to_be_disabled()
    typed = "您好，这里是火山示例科技，想了解一下您的使用体验。"
    page.fill("#id_scripts-2-content", typed)  # the scene is forgotten
    page.click("input[name=_continue]")

    # The errors are on top, above the status, each linking to its field; the input is kept.
    errors = page.locator("#form-errors")
    expect(errors).to_be_visible()
    assert box(errors)["y"] < box(page.locator("#workflow"))["y"]
    expect(page.locator("#id_scripts-2-content")).to_have_value(typed)
    page.click("#form-errors a[href='#id_scripts-2-scene']")
    expect(page.locator("#id_scripts-2-scene")).to_be_in_viewport()
    # No workflow button can throw the typed script away.
    expect(page.locator("#workflow button[name=act]")).to_have_count(0)
    expect(page.locator("#save-first")).to_be_visible()
    # Leaving asks first; refusing keeps the page and what was typed.
    page.click("#documents-link")
    page.wait_for_timeout(300)
    assert dialogs.kinds() == ["beforeunload"]
    assert page.url.startswith(change)
    expect(page.locator("#id_scripts-2-content")).to_have_value(typed)
    screenshot(page, "daily-0-refused-save-keeps-the-script")

    page.fill("#id_scripts-2-scene", "回访")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    assert list(filing.scripts.values_list("position", "content"))[-1] == (3, typed)

    # Typing without saving holds the next step until the form is saved.
    submit = page.locator("#workflow button[name=act][value=submit]")
    expect(submit).to_be_enabled()
    expect(page.locator("#unsaved-note")).to_be_hidden()
    page.fill("#id_business_carrier", "火山示例科技有限公司（上海）")
    expect(submit).to_be_disabled()
    expect(page.locator("#unsaved-note")).to_be_visible()
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    filing.refresh_from_db()
    assert filing.business_carrier == "火山示例科技有限公司（上海）"
    submit.click()
    expect(page.locator("#workflow .status.status-IN_REVIEW")).to_be_visible()
    assert dialogs.kinds() == ["beforeunload"]  # saving and submitting never asked
    assert CallScript.objects.filter(filing=filing).count() == 3


def test_the_filing_page_has_one_structure_and_its_history_is_the_audit_trail(
    person: Any, preparer: User
) -> None:
    me = person(preparer)
    page = me.page
    empty = editing.filing_create(
        actor=preparer, company=builders.company(preparer), callee_source="网站"
    )
    me.goto("admin:filings_filing_change", empty.pk)
    expect(page.locator("#no-documents")).to_be_visible()
    expect(page.locator("#documents-group table")).to_have_count(0)

    filing = builders.complete_filing(preparer, code=builders.VALID_CODES[1])
    me.goto("admin:filings_filing_change", filing.pk)
    parts = [
        "#workflow",
        "#workflow button[name=act][value=submit]",
        "#filing_form fieldset.module",
        "#documents-group",
        "#scripts-group",
        "#filing_form .submit-row",
        "#history",
    ]
    tops = [box(page.locator(selector).first)["y"] for selector in parts]
    assert tops == sorted(tops), dict(zip(parts, tops, strict=True))
    # Bands do not overlap: the history's heading is below the save bar, not behind the form.
    save_bar = box(page.locator("#filing_form .submit-row"))
    assert box(page.locator("#history h2"))["y"] >= save_bar["y"] + save_bar["height"]
    # Every heading band says something.
    headings = page.locator("#content h2:visible").all_inner_texts()
    assert all(text.strip() for text in headings), headings
    expect(page.locator("a" + href("admin:filings_filing_history", filing.pk))).to_have_count(0)
    expect(page.locator("#documents-group tbody tr.has_original")).to_have_count(
        len(builders.KINDS)
    )

    # One history: readable labels, each row opening its audit event.
    rows = page.locator("#history table.timeline tbody tr")
    expect(rows).to_have_count(filing_timeline(filing).count())
    first = rows.first.locator("a")
    assert first.inner_text() != "filing.created"
    first.click()
    page.wait_for_url(re.compile(r"/auditevent/\d+/change/$"))
    me.goto("admin:filings_filing_history", filing.pk)
    page.wait_for_url(re.compile(rf"/filing/{filing.pk}/change/#history$"))
    screenshot(page, "daily-1-filing-page")


def test_texts_follow_the_state_and_remove_and_approve_ask_first(
    person: Any, preparer: User, reviewer: User, sandbox: str
) -> None:
    filing = builders.complete_filing(preparer)
    author = person(preparer)
    page = author.page
    dialogs = Dialogs(author)

    # Remove asks first: "no" keeps the document, "yes" removes it.
    author.goto("admin:filings_filing_documents", filing.pk)
    expect(page.locator("#checklist-heading")).to_be_visible()
    remove = page.locator(f"#slot-{LICENCE} button.remove")
    dialogs.answer = False
    remove.click()
    page.wait_for_timeout(300)
    assert dialogs.kinds() == ["confirm"]
    assert filing.documents.filter(kind=LICENCE, superseded_at__isnull=True).exists()
    dialogs.answer = True
    with page.expect_navigation():
        remove.click()
    assert dialogs.kinds() == ["confirm", "confirm"]
    assert not filing.documents.filter(kind=LICENCE, superseded_at__isnull=True).exists()
    missing_heading = page.inner_text("#checklist-heading")
    expect(page.locator(f"#slot-{LICENCE} .empty")).to_be_visible()

    # Put it back and submit: in review, the page no longer says anything is missing.
    page.set_input_files(
        f"#slot-{LICENCE} input[name=image]",
        files=[{"name": "licence.jpg", "mimeType": "image/jpeg", "buffer": builders.image(9)}],
    )
    with page.expect_navigation():
        page.click(f"#slot-{LICENCE} form.upload-form button[type=submit]")
    review.filing_submit(actor=preparer, filing=filing)
    page.reload()
    assert page.inner_text("#checklist-heading") != missing_heading
    expect(page.locator("#checklist li.missing")).to_have_count(0)
    expect(page.locator("#state-note")).to_be_visible()
    expect(page.locator("form.upload-form")).to_have_count(0)

    # Approve is a second step: the reviewer is asked, "no" leaves the filing in review.
    checker = person(reviewer)
    checks = Dialogs(checker)
    checker.goto("admin:filings_filing_review", filing.pk)
    checks.answer = False
    checker.page.click("#workflow button[name=act][value=approve]")
    checker.page.wait_for_timeout(300)
    assert checks.kinds() == ["confirm"]
    filing.refresh_from_db()
    assert filing.status == Filing.Status.IN_REVIEW
    checks.answer = True
    checker.page.click("#workflow button[name=act][value=approve]")
    expect(checker.page.locator("#workflow .status.status-APPROVED")).to_be_visible()

    # Sent, the send page tells what happened and links to the submission; it asks nothing.
    checker.goto("admin:filings_filing_send", filing.pk)
    expect(checker.page.locator("#send-question")).to_be_visible()
    checker.page.click("#confirm-send")
    expect(checker.page.locator("#workflow .status.status-SUBMITTED")).to_be_visible()
    checker.goto("admin:filings_filing_send", filing.pk)
    expect(checker.page.locator("#send-question")).to_have_count(0)
    expect(checker.page.locator("#confirm-send")).to_have_count(0)
    expect(checker.page.locator("#send-done")).to_be_visible()
    submission = Submission.objects.get(filing=filing)
    expect(checker.page.locator("#latest-submission")).to_contain_text(
        submission.provider_request_id
    )
    screenshot(checker.page, "daily-2-send-page-after-sending")
    checker.page.click("#submission-link")
    checker.page.wait_for_url(checker.url("admin:filings_submission_change", submission.pk))


def test_the_review_page_compares_the_licence_and_zooms_and_turns_images(
    person: Any, preparer: User, reviewer: User
) -> None:
    filing = builders.in_review(preparer)
    builders.in_review(preparer, code=builders.VALID_CODES[1])
    checker = person(reviewer)
    page = checker.page

    count = page.locator("#user-tools #review-queue-count")
    expect(count).to_have_text("2")
    checker.goto("admin:filings_filing_review", filing.pk)
    page.wait_for_function(
        "[...document.querySelectorAll('#review-page figure.viewer img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )

    # The licence sits beside the name and code that were typed.
    typed = box(page.locator("#typed-company"))
    licence = page.locator(f"#licence-check figure.viewer[data-kind={LICENCE}]")
    shown = box(licence)
    assert shown["x"] > typed["x"] + typed["width"] - 1
    assert abs(shown["y"] - typed["y"]) < 40
    expect(page.locator("#typed-code")).to_have_text(filing.company.credit_code)

    image = licence.locator("img")
    start = box(image)
    licence.locator("button[data-viewer=zoom-in]").click()
    zoomed = box(image)
    assert zoomed["width"] == pytest.approx(start["width"] * 1.25, rel=0.02)
    licence.locator("button[data-viewer=rotate]").click()
    expect(licence).to_have_attribute("data-angle", "90")
    # Turned a quarter, at the same zoom and as wide as before: its sides have swapped ratios.
    turned = box(image)
    assert turned["width"] == pytest.approx(zoomed["width"], rel=0.02)
    ratio = zoomed["width"] / zoomed["height"]
    assert turned["height"] == pytest.approx(turned["width"] * ratio, rel=0.02)
    licence.locator("button[data-viewer=fit]").click()
    assert box(image)["width"] == pytest.approx(start["width"], rel=0.02)
    screenshot(page, "daily-3-review-viewer")

    with checker.context.expect_page() as opened:
        licence.locator("a.full-size").click()
    full = opened.value
    full.wait_for_load_state()
    assert re.search(r"/documents/[0-9a-f-]+/", full.url), full.url
    full.close()


def test_on_a_phone_the_first_slot_is_on_the_first_screen_with_44px_targets(
    person: Any, preparer: User
) -> None:
    filing = builders.complete_filing(preparer)
    me = person(preparer)
    page = me.page
    page.set_viewport_size(PHONE)

    me.goto("admin:filings_filing_documents", filing.pk)
    first = page.locator("section.slot").first
    upload = first.locator("label.drop").first
    assert box(upload)["y"] + box(upload)["height"] <= PHONE["height"], box(upload)
    small = page.evaluate(
        """(least) => [...document.querySelectorAll(
            '#content button, #content .button, #content input[type=submit], #content label.drop')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.textContent.trim() || el.value, el.getBoundingClientRect()])
            .filter(([, r]) => r.width < least || r.height < least)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}×${Math.round(r.height)}`)""",
        TOUCH,
    )
    assert not small, small
    screenshot(page, "daily-4-phone-documents")

    me.goto("admin:filings_filing_change", filing.pk)
    small = page.evaluate(
        """(least) => [...document.querySelectorAll('#workflow a, #workflow button')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.textContent.trim(), el.getBoundingClientRect()])
            .filter(([, r]) => r.height < least || r.width < least)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}×${Math.round(r.height)}`)""",
        TOUCH,
    )
    assert not small, small
