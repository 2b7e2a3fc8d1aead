"""The documents page refuses a file over the size limit in the browser, before sending it, with
the file's real size; a file within the limit is still sent."""

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.models import Document, Filing
from filings.services import editing
from tests import builders
from tests.e2e.conftest import expect
from tests.imagecorpus import jpeg_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LICENCE = Document.Kind.BUSINESS_LICENSE


def test_a_file_over_the_limit_is_refused_before_it_is_sent(
    person: Any, preparer: User, tmp_path: Path, settings: Any
) -> None:
    settings.PORTAL_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    filing = editing.filing_create(
        actor=preparer,
        company=builders.company(preparer),
        callee_source="网站",
        business_carrier="火山示例科技有限公司",
    )
    big = tmp_path / "big-licence.jpg"
    start = jpeg_bytes()
    big.write_bytes(start + bytes(round(12.4 * 1024 * 1024) - len(start)))
    me = person(preparer)
    page = me.page
    me.goto("admin:filings_filing_documents", filing.pk)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    slot = page.locator(f"#slot-{LICENCE}")

    slot.locator("input[name=image]").set_input_files(big)
    slot.locator("form.upload-form button[type=submit]").click()

    error = slot.locator(".slot-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("big-licence.jpg")
    expect(error).to_contain_text("12.4 MB")
    expect(error).to_contain_text("10 MB")
    expect(slot.locator("form.upload-form button[type=submit]")).to_be_enabled()
    assert not [url for url in sent if url.endswith("/documents/upload/")]
    assert not Document.objects.filter(filing=filing).exists()

    # A file within the limit goes through as before.
    small = tmp_path / "licence.jpg"
    small.write_bytes(jpeg_bytes(320, 200))
    slot.locator("input[name=image]").set_input_files(small)
    with (
        page.expect_navigation(),
        page.expect_response(
            lambda response: response.url.endswith("/documents/upload/")
        ) as answer,
    ):
        slot.locator("form.upload-form button[type=submit]").click()
    assert answer.value.status == 200
    assert Filing.objects.get(pk=filing.pk).documents.filter(kind=LICENCE).count() == 1
