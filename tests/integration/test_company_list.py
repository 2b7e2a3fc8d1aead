"""The company list counts each company's filings per row: right counts, and no GROUP BY over
every company and filing for each page (issue 17: 5.66× a bare list at 100k companies)."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from filings.services import editing
from tests.builders import VALID_CODES, company

pytestmark = pytest.mark.django_db


def test_the_company_list_counts_filings_per_row_without_grouping(preparer: User) -> None:
    busy = company(preparer, name="甲公司", code=VALID_CODES[0])
    idle = company(preparer, name="乙公司", code=VALID_CODES[1])
    for _ in range(3):
        editing.filing_create(actor=preparer, company=busy)
    client = Client()
    client.force_login(preparer)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:filings_company_changelist"))

    assert page.status_code == 200
    rows = {company.pk: company.filing_count for company in page.context["cl"].result_list}
    assert rows == {busy.pk: 3, idle.pk: 0}
    listed = [q["sql"] for q in queries.captured_queries if 'AS "filing_count"' in q["sql"]]
    assert listed
    # The count is a subquery per row: the page's own query groups nothing.
    assert not [sql for sql in listed if "GROUP BY" in sql.rsplit('AS "filing_count"', 1)[1]]


def test_the_company_list_sorts_by_its_filing_count(preparer: User) -> None:
    busy = company(preparer, name="甲公司", code=VALID_CODES[0])
    idle = company(preparer, name="乙公司", code=VALID_CODES[1])
    editing.filing_create(actor=preparer, company=busy)
    client = Client()
    client.force_login(preparer)
    columns = client.get(reverse("admin:filings_company_changelist")).context["cl"].list_display
    by_count = columns.index("filing_count")

    page = client.get(reverse("admin:filings_company_changelist"), {"o": f"-{by_count}"})

    assert [c.pk for c in page.context["cl"].result_list] == [busy.pk, idle.pk]
