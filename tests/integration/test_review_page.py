"""The reviewer's pages as the server renders them: the licence beside the typed company data,
every image with its viewer tools and a full-size link, no inline script, and the queue's count
in one query."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from filings.models import Document
from filings.selectors import review_queue
from tests import builders

pytestmark = pytest.mark.django_db

COUNT_URL = "admin:filings_filing_review_queue_count"


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def test_the_licence_is_shown_beside_the_typed_company_name_and_credit_code(
    client: Client, preparer: User, reviewer: User
) -> None:
    filing = builders.in_review(preparer)
    licence = filing.documents.get(
        kind=Document.Kind.BUSINESS_LICENSE, part=Document.Part.MAIN, superseded_at__isnull=True
    )
    client.force_login(reviewer)
    html = client.get(reverse("admin:filings_filing_review", args=[filing.pk])).content.decode()

    start = html.index('id="licence-check"')
    section = html[start : html.index("</section>", start)]
    assert f'<dd id="typed-name">{filing.company.name}</dd>' in section
    assert f"<code>{filing.company.credit_code}</code>" in section
    assert 'data-kind="businessLicense"' in section
    assert reverse("document-image", args=[licence.uuid]) in section
    # Every document once, the licence included.
    assert html.count('<figure class="viewer"') == len(builders.KINDS)


def test_every_review_image_has_zoom_rotate_fit_and_a_full_size_link_without_inline_script(
    client: Client, preparer: User, reviewer: User
) -> None:
    filing = builders.in_review(preparer)
    client.force_login(reviewer)
    html = client.get(reverse("admin:filings_filing_review", args=[filing.pk])).content.decode()

    figures = re.findall(r'<figure class="viewer".*?</figure>', html, flags=re.S)
    assert len(figures) == len(builders.KINDS)
    for figure in figures:
        for action in ("zoom-in", "zoom-out", "rotate", "fit"):
            assert f'data-viewer="{action}"' in figure
        [full] = re.findall(r'<a class="button full-size" href="([^"]+)" target="_blank"', figure)
        [shown] = re.findall(r'<img src="([^"]+)"', figure)
        assert full == shown
    assert re.search(r'<script src="[^"]*filings/viewer(\.[0-9a-f]+)?\.js"', html)
    # The Content-Security-Policy allows no inline script: every <script> has a src.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_the_queue_count_is_what_the_reviewer_may_approve_in_one_query(
    client: Client, preparer: User, reviewer: User, superuser: User
) -> None:
    for code in builders.VALID_CODES[:2]:
        builders.in_review(preparer, code=code)
    # A filing the superuser prepared is not theirs to approve (four-eyes): not counted for them.
    builders.in_review(superuser, code=builders.VALID_CODES[2])

    client.force_login(superuser)
    client.get(reverse("admin:index"))  # the session is read once before counting
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(reverse(COUNT_URL))
    assert answer.status_code == 200
    assert answer.json() == {"count": 2}
    assert "no-store" in answer["Cache-Control"]  # the admin's views are never cached
    on_filings = [q["sql"] for q in captured.captured_queries if "filings_filing" in q["sql"]]
    assert len(on_filings) == 1, on_filings
    assert review_queue(superuser.pk).count() == 2

    client.force_login(reviewer)
    assert client.get(reverse(COUNT_URL)).json() == {"count": 3}


def test_only_reviewers_get_the_queue_count(client: Client, preparer: User) -> None:
    client.force_login(preparer)
    assert client.get(reverse(COUNT_URL)).status_code == 403
