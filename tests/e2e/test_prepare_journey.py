"""Journey (a): a preparer creates a company and a filing, uploads every document (ID cards as
front and back), recovers from a refused file, adds call scripts and submits for review."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.kinds import COMPANY_FILING
from filings.models import CallScript, Company, Document, Filing
from filings.preflight import content_checks, failed
from filings.selectors import filing_timeline
from tests.builders import KINDS
from tests.e2e.conftest import document_image, expect, href, screenshot
from tests.imagecorpus import pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = "91310115MA1K3BTP2B"
API_DOC_CODE = "91330106MQBYDEKL12"  # the API page's example: fails both checks
SINGLE_IMAGE_KINDS = [
    Document.Kind.OPERATOR_IDCARD_INHAND,
    Document.Kind.NETWORK_ACCESS_LETTER,
    Document.Kind.NUMBER_APPLICATION_LETTER,
]
TWO_SIDED_KINDS = [Document.Kind.PROPRIETOR_IDCARD, Document.Kind.OPERATOR_IDCARD]
ID_CARD = (856, 540)  # pixels of an ID card scanned at 254 dpi


def slot(page: Any, kind: str) -> Any:
    return page.locator(f"#slot-{kind}")


def upload_and_wait(page: Any, kind: str) -> None:
    """Press the slot's upload button and wait for the reloaded page to show the stored image."""
    with page.expect_navigation():  # upload.js reloads the page after a successful upload
        with page.expect_response(lambda r: r.url.endswith("/documents/upload/")) as answer:
            slot(page, kind).locator("form.upload-form button[type=submit]").click()
        assert answer.value.status == 200, answer.value.text()
    expect(slot(page, kind).locator(".current img.doc-preview")).to_be_visible()
    assert_image_loaded(slot(page, kind).locator(".current img.doc-preview"))


def assert_image_loaded(img: Any) -> None:
    img.page.wait_for_function("img => img.complete", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 0, "the preview image did not load"


def test_preparer_prepares_a_filing_and_submits_it_for_review(
    person: Any, preparer: User, tmp_path: Path
) -> None:
    me = person(preparer)
    page = me.page

    # --- a company: the API doc's example code is refused, a valid one is accepted -------------
    page.click("#content-main a.addlink" + href("admin:filings_company_add"))
    page.fill("#id_name", "上海示例通信科技有限公司")
    page.fill("#id_credit_code", API_DOC_CODE)
    page.click("input[name=_save]")
    expect(page.locator(".field-credit_code .errorlist")).to_be_visible()
    assert not Company.objects.exists()
    page.fill("#id_credit_code", CODE)
    page.click("input[name=_save]")
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    company = Company.objects.get(credit_code=CODE)
    assert company.created_by == preparer

    # --- a filing for it, the company picked with the autocomplete widget ------------------------
    me.goto("admin:filings_filing_add")
    page.click(".field-company .select2-selection")
    page.fill(".select2-container--open .select2-search__field", CODE[:8])
    option = page.locator(".select2-container--open .select2-results__option[aria-selected]")
    expect(option).to_have_count(1)
    option.click()
    expect(page.locator("#id_company")).to_have_value(str(company.pk))
    page.fill("#id_callee_source", "网站")
    page.fill("#id_business_carrier", "上海示例通信科技有限公司")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/filing/\d+/change/$"))
    filing = Filing.objects.get(company=company)
    assert page.url == me.url("admin:filings_filing_change", filing.pk)
    assert (filing.status, filing.created_by) == (Filing.Status.DRAFT, preparer)

    # --- the documents page --------------------------------------------------------------------
    page.click("#documents-link")
    page.wait_for_url(me.url("admin:filings_filing_documents", filing.pk))
    expect(page.locator("section.slot")).to_have_count(len(KINDS))
    expect(page.locator("#checklist li.missing")).to_have_count(len(failed(content_checks(filing))))

    # A PDF named .jpg: refused by its content, the server's words on that slot only.
    licence = Document.Kind.BUSINESS_LICENSE
    fake = tmp_path / "营业执照.jpg"
    fake.write_bytes(pdf_bytes())
    slot(page, licence).locator("input[name=image]").set_input_files(fake)
    with page.expect_response(lambda r: r.url.endswith("/documents/upload/")) as answer:
        slot(page, licence).locator("form.upload-form button[type=submit]").click()
    assert answer.value.status == 400
    said = " ".join(m for ms in json.loads(answer.value.text())["errors"].values() for m in ms)
    assert said
    error = slot(page, licence).locator(".slot-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(said)
    expect(slot(page, licence).locator(".progress")).to_be_hidden()
    expect(slot(page, licence).locator("form.upload-form button[type=submit]")).to_be_enabled()
    expect(page.locator(".slot-error:visible")).to_have_count(1)
    assert not Document.objects.filter(filing=filing).exists()

    # The fix: a real image. Choosing it clears the error and previews it locally; the upload
    # is held in flight to see the progress bar (and a disabled button against double posts).
    good = document_image(tmp_path, "licence-scan.jpg", label="BUSINESS LICENCE")
    slot(page, licence).locator("input[name=image]").set_input_files(good)
    expect(error).to_be_hidden()
    local = slot(page, licence).locator(".local-preview img.doc-preview")
    expect(local).to_have_count(1)
    assert_image_loaded(local)
    held: list[Any] = []
    upload_url = me.url("admin:filings_filing_document_upload", filing.pk)
    page.route(upload_url, lambda route: held.append(route))
    slot(page, licence).locator("form.upload-form button[type=submit]").click()
    expect(slot(page, licence).locator(".progress")).to_be_visible()
    expect(slot(page, licence).locator("form.upload-form button[type=submit]")).to_be_disabled()
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    with page.expect_navigation(), page.expect_response(upload_url) as answer:
        held[0].continue_()
    page.unroute(upload_url)
    assert answer.value.status == 200
    expect(slot(page, licence).locator(".current img.doc-preview")).to_be_visible()
    assert_image_loaded(slot(page, licence).locator(".current img.doc-preview"))
    expect(page.locator(".slot-error:visible")).to_have_count(0)

    for number, kind in enumerate(SINGLE_IMAGE_KINDS):
        image = document_image(tmp_path, f"{kind}.png", label=kind.upper(), fmt="PNG")
        slot(page, kind).locator("input[name=image]").set_input_files(image)
        expect(slot(page, kind).locator(".local-preview img")).to_have_count(1)
        upload_and_wait(page, kind)
        assert number + 2 == Document.objects.filter(filing=filing, part="main").count()

    # ID cards: front and back chosen separately, both previewed, composed into one image.
    for kind in TWO_SIDED_KINDS:
        front = document_image(tmp_path, f"{kind}-front.jpg", label="FRONT", size=ID_CARD)
        back = document_image(tmp_path, f"{kind}-back.png", label="BACK", size=ID_CARD, fmt="PNG")
        slot(page, kind).locator("input[name=front]").set_input_files(front)
        slot(page, kind).locator("input[name=back]").set_input_files(back)
        expect(slot(page, kind).locator(".local-preview img")).to_have_count(2)
        upload_and_wait(page, kind)
        parts = dict(
            Document.objects.filter(
                filing=filing, kind=kind, superseded_at__isnull=True
            ).values_list("part", "original_name")
        )
        assert parts == {"main": f"{kind}-front-back.jpg", "front": front.name, "back": back.name}

    current = Document.objects.filter(filing=filing, superseded_at__isnull=True, part="main")
    assert sorted(current.values_list("kind", flat=True)) == sorted(COMPANY_FILING.document_kinds)
    assert current.get(kind=licence).original_name == good.name
    assert all(d.uploaded_by == preparer for d in current)
    # Only the call scripts are still missing.
    assert [c.code for c in content_checks(filing) if not c.ok] == ["scripts"]
    expect(page.locator("#checklist li.missing")).to_have_count(1)
    expect(page.locator("#documents-page img.doc-preview")).to_have_count(len(KINDS))
    screenshot(page, "a-1-documents")

    # --- call scripts on the filing form (numbered by the portal) ---------------------------------
    page.click("#documents-page a.button" + href("admin:filings_filing_change", filing.pk))
    page.fill("#id_scripts-0-scene", "快递通知")
    page.fill("#id_scripts-0-content", "您好，这里是上海示例通信，您的快递已到，请问方便签收吗？")
    page.click("#scripts-group tr.add-row a")
    page.fill("#id_scripts-1-scene", "售后回访")
    page.fill("#id_scripts-1-content", "您好，这里是上海示例通信售后，想了解一下您的使用情况。")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    assert list(CallScript.objects.filter(filing=filing).values_list("position", "scene")) == [
        (1, "快递通知"),
        (2, "售后回访"),
    ]
    expect(page.locator("#workflow .checklist li.missing")).to_have_count(0)

    # --- submit for review ------------------------------------------------------------------------
    page.click("#workflow button[name=act][value=submit]")
    expect(page.locator("#workflow .status.status-IN_REVIEW")).to_be_visible()
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    filing.refresh_from_db()
    assert filing.status == Filing.Status.IN_REVIEW
    # In review the preparer can no longer edit, only withdraw.
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.locator("#workflow button[name=act][value=submit]")).to_have_count(0)
    expect(page.locator("#workflow button[name=act][value=withdraw]")).to_have_count(1)
    kinds = list(filing_timeline(filing).values_list("kind", flat=True))
    assert kinds.count("document.uploaded") + kinds.count("document.replaced") >= len(KINDS)
    assert kinds[-1] == "filing.submitted"
    expect(page.locator("#history table.timeline tbody tr")).to_have_count(
        filing_timeline(filing).count()
    )
    screenshot(page, "a-preparer-prepares-and-submits")
