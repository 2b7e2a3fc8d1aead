"""Journey: a preparer notices a licence without an end date, uploads a renewed one with its
date (a past date refused on the slot first), corrects an ID card's date in place, finds the
company on "documents to renew", and a second filing of the company starts with its documents."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filings.content import current_documents
from filings.models import Document, Filing
from filings.services import editing
from tests.builders import complete_filing
from tests.e2e.conftest import document_image, expect, href, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LICENCE = Document.Kind.BUSINESS_LICENSE
ID_CARD = Document.Kind.PROPRIETOR_IDCARD
LETTER = Document.Kind.NETWORK_ACCESS_LETTER


def slot(page: Any, kind: str) -> Any:
    return page.locator(f"#slot-{kind}")


def current(filing: Filing, kind: str) -> Document:
    return current_documents(Filing.objects.get(pk=filing.pk))[kind]


def test_preparer_renews_a_licence_and_dates_an_id_card(
    person: Any, preparer: User, tmp_path: Path
) -> None:
    today = timezone.localdate()
    filing = complete_filing(preparer)
    Document.objects.filter(pk=current(filing, ID_CARD).pk).update(
        valid_until=today + timedelta(days=10)
    )
    me = person(preparer)
    page = me.page

    # --- the slots say which documents lack an end date ----------------------------------------
    me.goto("admin:filings_filing_documents", filing.pk)
    expect(slot(page, LICENCE).locator(".validity.no-end-date")).to_be_visible()
    expect(slot(page, ID_CARD).locator(".validity.expiring")).to_be_visible()
    assert slot(page, LETTER).locator(".validity").count() == 0  # no date expected there

    # --- a renewed licence: a past date is refused on the slot, then a valid one is stored -----
    licence = slot(page, LICENCE).locator("form.upload-form")
    licence.locator("input[name=image]").set_input_files(
        document_image(tmp_path, "licence-2030.jpg", label="LICENCE 2030")
    )
    licence.locator("input[name=valid_until]").fill((today - timedelta(days=1)).isoformat())
    with page.expect_response(lambda r: r.url.endswith("/documents/upload/")) as answer:
        licence.locator("button[type=submit]").click()
    assert answer.value.status == 400
    expect(licence.locator(".slot-error")).to_be_visible()
    old = current(filing, LICENCE)

    until = today + timedelta(days=365 * 5)
    licence.locator("input[name=valid_until]").fill(until.isoformat())
    with (
        page.expect_navigation(),
        page.expect_response(lambda r: r.url.endswith("/documents/upload/")) as answer,
    ):
        licence.locator("button[type=submit]").click()
    assert answer.value.status == 200
    renewed = current(filing, LICENCE)
    assert renewed.pk != old.pk
    assert renewed.valid_until == until
    expect(slot(page, LICENCE).locator(".validity")).to_be_visible()
    assert slot(page, LICENCE).locator(".validity.no-end-date").count() == 0

    # --- the ID card's date corrected in place, without uploading it again ---------------------
    corrected = today + timedelta(days=3650)
    form = slot(page, ID_CARD).locator("form.validity-form")
    form.locator("input[name=valid_until]").fill(corrected.isoformat())
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert current(filing, ID_CARD).valid_until == corrected
    assert slot(page, ID_CARD).locator(".validity.expiring").count() == 0
    screenshot(page, "validity-documents")

    # --- documents to renew: reached from the admin index --------------------------------------
    Document.objects.filter(pk=current(filing, LETTER).pk).update(
        valid_until=today + timedelta(days=3)
    )
    me.goto("admin:index")
    page.click("a" + href("admin:filings_expiring_documents"))
    rows = page.locator("#expiring-table tbody tr")
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-company") == str(filing.company_id)
    screenshot(page, "validity-to-renew")

    # --- a second filing of the company starts with the company's documents --------------------
    second = editing.filing_create(
        actor=preparer, company=filing.company, callee_source="网站", business_carrier="示例"
    )
    editing.script_add(actor=preparer, filing=second, scene="快递", content="您好。")
    me.goto("admin:filings_filing_documents", second.pk)
    expect(slot(page, LICENCE).locator(".reused")).to_be_visible()
    assert current(second, LICENCE).pk == renewed.pk
    expect(page.locator("#checklist li.missing")).to_have_count(0)
