"""Ids in queries and forms that are digits to Python but not to the database ("²", "١٢")
are refused like any other bad id: never a server error."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ODD = ["²", "١٢", "abc", "9" * 30]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("admin:filings_auditevent_changelist", "q"),
        ("admin:filings_auditevent_changelist", "filing"),
        ("admin:filings_phonenumber_changelist", "company"),
        ("admin:filings_phonenumber_add", "company"),
    ],
)
def test_an_odd_id_in_a_query_is_no_server_error(
    client: Client, superuser: User, name: str, param: str, value: str
) -> None:
    client.force_login(superuser)
    answer = client.get(reverse(name), {param: value})
    assert answer.status_code in (200, 302), answer.status_code


@pytest.mark.parametrize("value", ODD)
def test_an_odd_company_id_in_the_path_is_no_server_error(
    client: Client, superuser: User, value: str
) -> None:
    client.force_login(superuser)
    answer = client.get(f"/admin/filings/company/{value}/change/")
    assert answer.status_code in (302, 404), answer.status_code


@pytest.mark.parametrize("value", ODD)
def test_an_odd_id_posted_to_mark_read_is_no_server_error(
    client: Client, preparer: User, value: str
) -> None:
    client.force_login(preparer)
    answer = client.post(reverse("admin:notifications_read"), {"pk": [value], "p": value})
    assert answer.status_code == 302, answer.status_code
