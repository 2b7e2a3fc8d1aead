"""Times on every admin page carry their UTC offset, in both languages."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from filings.services import editing
from tests.builders import VALID_CODES


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_list_shows_times_with_their_offset(
    client: Client, preparer: User, language: str
) -> None:
    company = editing.company_create(actor=preparer, name="火山示例", credit_code=VALID_CODES[0])
    client.force_login(preparer)
    client.cookies["django_language"] = language

    page = client.get(reverse("admin:filings_company_changelist")).content.decode()

    created = timezone.localtime(company.created_at)
    assert created.strftime("%Y-%m-%d %H:%M +0800") in page
