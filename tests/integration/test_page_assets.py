"""Every page links the portal's stylesheet and confirmation script once."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from filings.models import Filing
from tests.builders import complete_filing

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page",
    [
        "admin:filings_filing_change",
        "admin:filings_filing_documents",
        "admin:filings_filing_send",
        "admin:filings_filing_review",
    ],
)
def test_each_asset_is_linked_once(page: str, preparer: User, superuser: User) -> None:
    filing = complete_filing(preparer)
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.APPROVED)
    client = Client()
    client.force_login(superuser)

    content = client.get(reverse(page, args=[filing.pk])).content.decode()

    assert content.count("filings/portal.css") == 1
    assert content.count("filings/confirm.js") == 1
