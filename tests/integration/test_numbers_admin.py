"""The numbers pages through the test client: adding from a paste or a CSV/XLSX file with a
per-line report (and 10,000 numbers at once in under two seconds), the list's search and
filters, "File these numbers", the company page's numbers by state, and who may do what."""

import html
import io
import re
import time
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from filings.models import Company, Filing, PhoneNumber
from filings.phone_numbers import LETTERS, SHORT_CODE
from tests import builders
from tests.audit_rows import events_after, head, row
from tests.builders import VALID_CODES
from tests.number_builders import (
    SCENE,
    SCRIPT,
    add_numbers,
    approve,
    file_numbers,
    filed_company,
    live_numbers,
    mobiles,
    received,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

ADD_URL = reverse("admin:filings_phonenumber_add")
LIST_URL = reverse("admin:filings_phonenumber_changelist")


# The management form of the number page's read-only inline of its filings.
NO_HISTORY_FORMS = {"filing_numbers-TOTAL_FORMS": "0", "filing_numbers-INITIAL_FORMS": "0"}


def browser(user: User) -> Client:
    """A logged-in admin session with the English UI chosen (the switcher's cookie)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def report_rows(content: str) -> list[tuple[str, str, str, str, str]]:
    """The report table's rows as (class, line, written, number, result), in page order."""
    table = re.search(r'<div class="module" id="numbers-report">(.*?)</table>', content, re.S)
    assert table, "the page shows the per-line report"
    found = re.findall(
        r'<tr class="(added|refused)"><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>'
        r"</tr>",
        table.group(1),
    )
    return [(c, line, html.unescape(w), n, html.unescape(r)) for c, line, w, n, r in found]


def post_add(client: Client, company: Company, **fields: Any) -> Any:
    data = {"credit_code": company.credit_code, "script_scene": SCENE, "script": SCRIPT}
    return client.post(ADD_URL, {**data, **fields})


def listed(response: Any) -> list[str]:
    assert response.status_code == 200
    return [number.digits for number in response.context["cl"].result_list]


# --- adding ---------------------------------------------------------------------------------


def test_a_paste_answers_with_a_report_refused_lines_first(
    preparer: User, company: Company
) -> None:
    start = head()

    response = post_add(
        browser(preparer),
        company,
        numbers="138 0000 0001\nabc\n+86 138-0000-0001, 0571-88886666\n12345",
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "2 numbers added · 3 lines refused" in content
    assert report_rows(content) == [
        ("refused", "2", "abc", "", str(LETTERS)),
        ("refused", "3", "+86 138-0000-0001", "13800000001", "duplicate of line 1"),
        ("refused", "4", "12345", "", str(SHORT_CODE)),
        ("added", "1", "138 0000 0001", "13800000001", "added"),
        ("added", "3", "0571-88886666", "057188886666", "added"),
    ]
    assert sorted(PhoneNumber.objects.values_list("digits", "company", "state", "script")) == [
        ("057188886666", company.pk, "draft", SCRIPT),
        ("13800000001", company.pk, "draft", SCRIPT),
    ]
    assert events_after(start) == [
        row(
            "numbers.added",
            preparer,
            "company",
            company.pk,
            data={
                "company": company.credit_code,
                "numbers": ["13800000001", "057188886666"],
                "script_scene": SCENE,
                "script": SCRIPT,
            },
        )
    ]


def test_a_csv_file_is_reported_by_its_rows(preparer: User, company: Company) -> None:
    upload = SimpleUploadedFile(
        "numbers.csv",
        "号码,备注\n13800000001,客服\n13800000001,重复\n\n0571-88886666,总机\n95588,银行\n".encode(),
        content_type="text/csv",
    )

    response = post_add(browser(preparer), company, file=upload)

    assert report_rows(response.content.decode()) == [
        ("refused", "3", "13800000001", "13800000001", "duplicate of line 2"),
        ("refused", "6", "95588", "", str(SHORT_CODE)),
        ("added", "2", "13800000001", "13800000001", "added"),
        ("added", "5", "0571-88886666", "057188886666", "added"),
    ]
    assert sorted(PhoneNumber.objects.values_list("digits", flat=True)) == [
        "057188886666",
        "13800000001",
    ]


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_file_is_reported_by_its_rows(preparer: User, company: Company) -> None:
    data = xlsx(
        [["号码"], [13800000001], ["+86 139 0000 0002"], [None], ["not a number"], [13800000001]]
    )
    upload = SimpleUploadedFile("numbers.xlsx", data, content_type="application/octet-stream")

    response = post_add(browser(preparer), company, file=upload)

    assert report_rows(response.content.decode()) == [
        ("refused", "5", "not a number", "", str(LETTERS)),
        ("refused", "6", "13800000001", "13800000001", "duplicate of line 2"),
        ("added", "2", "13800000001", "13800000001", "added"),
        ("added", "3", "+86 139 0000 0002", "13900000002", "added"),
    ]
    assert PhoneNumber.objects.count() == 2


def test_a_file_that_is_no_list_is_refused_on_the_form(preparer: User, company: Company) -> None:
    upload = SimpleUploadedFile("numbers.xlsx", builders.image(), content_type="image/jpeg")

    response = post_add(browser(preparer), company, file=upload)

    assert response.status_code == 200
    assert "not a list of numbers" in response.content.decode()
    assert response.context["report"] is None
    assert not PhoneNumber.objects.exists()


def test_an_unknown_company_or_an_empty_list_is_refused_on_the_form(
    preparer: User, company: Company
) -> None:
    client = browser(preparer)

    unknown = client.post(ADD_URL, {"credit_code": VALID_CODES[2], "numbers": "13800000001"})
    empty = client.post(ADD_URL, {"credit_code": company.credit_code, "numbers": "  "})

    assert f"No company has the credit code {VALID_CODES[2]}" in unknown.content.decode()
    assert "Type or paste the numbers, or choose a file." in empty.content.decode()
    assert not PhoneNumber.objects.exists()


def timed_post(client: Client, company: Company, pasted: str) -> tuple[Any, float]:
    began = time.perf_counter()
    response = post_add(client, company, numbers=pasted)
    return response, time.perf_counter() - began


def test_a_paste_of_ten_thousand_numbers_answers_in_under_two_seconds(
    preparer: User, company: Company
) -> None:
    client = browser(preparer)
    pasted = "\n".join(mobiles(10_000))
    client.get(ADD_URL)  # templates loaded, session read: the POST alone is measured

    added, first = timed_post(client, company, pasted)
    # The same list again: every line is reported as one of this company's numbers already.
    refused, again = timed_post(client, company, pasted)

    print(f"\n10,000 pasted numbers: {first:.2f} s added, {again:.2f} s all refused")
    assert "10000 numbers added · 0 lines refused" in added.content.decode()
    assert "0 numbers added · 10000 lines refused" in refused.content.decode()
    assert PhoneNumber.objects.filter(company=company).count() == 10_000
    assert len(report_rows(refused.content.decode())) == 10_000
    assert (first < 2.0, again < 2.0) == (True, True), (first, again)


def test_the_add_page_starts_with_the_company_from_its_page(
    preparer: User, company: Company
) -> None:
    response = browser(preparer).get(f"{ADD_URL}?company={company.pk}")

    assert response.status_code == 200
    assert response.context["form"].initial == {"credit_code": company.credit_code}


# --- the list -------------------------------------------------------------------------------


@pytest.fixture
def listed_numbers(preparer: User, company: Company) -> None:
    other = builders.company(preparer, name="另一家示例公司", code=VALID_CODES[1])
    add_numbers(preparer, company, ["13800138000", "057188886666", "13800000001"])
    add_numbers(preparer, other, ["13900000009", "01012345678"])


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("13800138000", ["13800138000"]),
        ("138 0013 8000", ["13800138000"]),
        ("+86 138-0013-8000", ["13800138000"]),
        ("0086 13800138000", ["13800138000"]),
        ("+86 571 8888 6666", ["057188886666"]),
        ("(0571) 8888-6666", ["057188886666"]),
        ("0571", ["057188886666"]),
        ("138", ["13800000001", "13800138000"]),
        ("+86 10 1234 5678", ["01012345678"]),
        ("no digits", []),
    ],
)
def test_the_list_finds_a_number_in_any_written_form(
    preparer: User, listed_numbers: None, term: str, expected: list[str]
) -> None:
    response = browser(preparer).get(LIST_URL, {"q": term})

    assert sorted(listed(response)) == expected


def test_the_list_filters_by_company_and_state(
    preparer: User, reviewer: User, listed_numbers: None
) -> None:
    company = Company.objects.get(credit_code=VALID_CODES[0])
    client = browser(preparer)

    mine = client.get(LIST_URL, {"company": company.pk})
    drafts = client.get(LIST_URL, {"company": company.pk, "state__exact": "draft"})
    live = client.get(LIST_URL, {"company": company.pk, "state__exact": "live"})

    assert sorted(listed(mine)) == ["057188886666", "13800000001", "13800138000"]
    assert sorted(listed(drafts)) == ["057188886666", "13800000001", "13800138000"]
    assert listed(live) == []
    assert company.name in mine.content.decode()  # the chosen company is named in the filter


# --- File these numbers ---------------------------------------------------------------------


def test_file_these_numbers_makes_filings_and_reports_the_refused(
    preparer: User, reviewer: User
) -> None:
    company = filed_company(preparer, reviewer)
    first = add_numbers(preparer, company, mobiles(101))
    second = add_numbers(preparer, company, ["13900000001"], script="另一条话术")
    earlier = file_numbers(preparer, add_numbers(preparer, company, ["13900000002"]))
    chosen = [*first, *second, *PhoneNumber.objects.filter(digits="13900000002")]

    response = browser(preparer).post(
        LIST_URL,
        {"action": "file_add", "_selected_action": [n.pk for n in chosen], "index": 0},
        follow=True,
    )

    assert response.status_code == 200
    made = list(Filing.objects.filter(kind="number").exclude(pk=earlier.pk).order_by("pk"))
    assert sorted(f.filing_numbers.count() for f in made) == [1, 1, 100]
    shown = [str(m) for m in response.context["messages"]]
    assert shown[0].startswith("Draft number filings created:")
    for filing in made:
        link = reverse("admin:filings_filing_change", args=[filing.pk])
        assert (
            f'<a href="{link}">#{filing.pk}</a> ({filing.filing_numbers.count()} numbers)'
            in (shown[0])
        )
    assert shown[1:] == [f"13900000002: already in number filing #{earlier.pk}"]


def test_file_these_numbers_is_offered_to_preparers_only(
    preparer: User, reviewer: User, auditor: User, listed_numbers: None
) -> None:
    def offered(user: User) -> list[str]:
        form = browser(user).get(LIST_URL).context["action_form"]
        return [] if form is None else [name for name, _ in form.fields["action"].choices]

    assert {"file_add", "file_update", "file_delete"} <= set(offered(preparer))
    assert offered(reviewer) == offered(auditor) == []
    number = PhoneNumber.objects.first()
    assert number is not None
    response = browser(auditor).post(
        LIST_URL, {"action": "file_add", "_selected_action": [number.pk], "index": 0}
    )
    assert response.status_code in (200, 302)
    assert not Filing.objects.filter(kind="number").exists()


# --- the company page -----------------------------------------------------------------------


def test_the_company_page_counts_its_numbers_by_state(preparer: User, reviewer: User) -> None:
    company = filed_company(preparer, reviewer)
    live_numbers(preparer, reviewer, company, ["13800000001", "13800000002"])
    pending = add_numbers(preparer, company, ["13800000003"])
    received(reviewer, approve(preparer, reviewer, file_numbers(preparer, pending)))
    add_numbers(preparer, company, ["13800000004", "13800000005", "13800000006"])

    response = browser(preparer).get(reverse("admin:filings_company_change", args=[company.pk]))

    content = response.content.decode()
    section = re.search(r'<div id="company-numbers".*?</ul>', content, re.S)
    assert section
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', section.group(0))
    base = f"{LIST_URL}?company={company.pk}&amp;state__exact="
    assert links == [
        (f"{base}draft", "Draft: 3"),
        (f"{base}pending", "Pending at Volcengine: 1"),
        (f"{base}live", "Live: 2"),
        (f"{base}failed", "Failed: 0"),
        (f"{base}delisted", "Delisted: 0"),
    ]
    add_link = f"{ADD_URL}?company={company.pk}"
    assert add_link in content
    # Each count's link lists exactly those numbers.
    live = browser(preparer).get(html.unescape(links[2][0]))
    assert sorted(listed(live)) == ["13800000001", "13800000002"]


# --- permissions ----------------------------------------------------------------------------


def test_an_auditor_sees_the_numbers_but_cannot_add_or_change_them(
    preparer: User, auditor: User, company: Company, listed_numbers: None
) -> None:
    client = browser(auditor)
    number = PhoneNumber.objects.get(digits="13800138000")
    start = head()

    listing = client.get(LIST_URL)
    page = client.get(reverse("admin:filings_phonenumber_change", args=[number.pk]))
    add_page = client.get(ADD_URL)
    add_post = post_add(client, company, numbers="13800000099")
    change_post = client.post(
        reverse("admin:filings_phonenumber_change", args=[number.pk]),
        {"script_scene": "改", "script": "改", **NO_HISTORY_FORMS},
    )
    company_page = client.get(reverse("admin:filings_company_change", args=[company.pk]))

    assert sorted(listed(listing)) == [
        "01012345678",
        "057188886666",
        "13800000001",
        "13800138000",
        "13900000009",
    ]
    assert ADD_URL not in listing.content.decode()
    assert page.status_code == 200
    assert 'name="script"' not in page.content.decode()
    assert add_page.status_code == 403
    assert add_post.status_code == 403
    assert change_post.status_code == 403
    assert "company-numbers" in company_page.content.decode()
    assert f"{ADD_URL}?company=" not in company_page.content.decode()
    assert not PhoneNumber.objects.filter(digits="13800000099").exists()
    assert PhoneNumber.objects.get(pk=number.pk).script == SCRIPT
    assert events_after(start) == []


def test_a_preparer_changes_a_number_s_script_on_its_page(preparer: User, company: Company) -> None:
    (number,) = add_numbers(preparer, company, ["13800000001"])
    url = reverse("admin:filings_phonenumber_change", args=[number.pk])
    start = head()

    response = browser(preparer).post(
        url, {"script_scene": "售后", "script": "新的话术", **NO_HISTORY_FORMS}
    )

    assert response.status_code == 302
    assert events_after(start) == [
        row(
            "number.updated",
            preparer,
            "phonenumber",
            number.pk,
            data={
                "number": "13800000001",
                "before": {"script_scene": SCENE, "script": SCRIPT},
                "after": {"script_scene": "售后", "script": "新的话术"},
            },
        )
    ]
