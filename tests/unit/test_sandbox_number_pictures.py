"""One picture-checking path for both APIs: which URLs of a verified body are fetched."""

from typing import Any

import pytest
from pytest_django.fixtures import Settings

from filings.sandbox import pictures
from filings.sandbox.apis import COMPANY_AUTH, NUMBER_AUTH
from filings.sandbox.company_rules import PIC_URL_FIELDS
from filings.sandbox.number_rules import LETTER_URL_FIELD
from filings.sandbox.pictures import NOT_OURS, check_pictures
from filings.sandbox.verify import Verified
from tests.unit.test_sandbox_number_rules import number_body
from tests.unit.test_sandbox_verify import valid_payload

PORTAL = "http://portal.test:8000"


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> list[str]:
    """The URLs check_pictures asks for, each answered as a good picture."""
    settings.PORTAL_PUBLIC_BASE_URL = PORTAL
    settings.AWS_S3_ENDPOINT_URL = ""
    urls: list[str] = []

    def fake_fetch(url: str, **_: Any) -> str | None:
        urls.append(url)
        return None

    monkeypatch.setattr(pictures, "fetch_problem", fake_fetch)
    return urls


def verified(action: str, body: dict[str, Any]) -> Verified:
    return Verified("AK", "cn-beijing", action, "2022-01-01", body)


@pytest.mark.parametrize("action", ["add", "update"])
def test_a_number_add_or_update_fetches_only_the_letter(fetched: list[str], action: str) -> None:
    body = number_body(action)

    assert check_pictures(verified(NUMBER_AUTH, body)) is None
    assert fetched == [body[LETTER_URL_FIELD]]


def test_a_number_delete_fetches_nothing(fetched: list[str]) -> None:
    assert check_pictures(verified(NUMBER_AUTH, number_body("delete"))) is None
    assert fetched == []


def test_a_company_filing_fetches_its_six_pictures_in_order(fetched: list[str]) -> None:
    body = valid_payload()

    assert check_pictures(verified(COMPANY_AUTH, body)) is None
    assert fetched == [body[name] for name in PIC_URL_FIELDS]


def test_a_letter_elsewhere_is_refused_naming_the_letter_field(settings: Settings) -> None:
    settings.PORTAL_PUBLIC_BASE_URL = PORTAL
    settings.AWS_S3_ENDPOINT_URL = ""
    body = {**number_body(), LETTER_URL_FIELD: "http://elsewhere.test/letter.png"}

    error = check_pictures(verified(NUMBER_AUTH, body))

    assert error is not None
    assert error.code == "InvalidParameter"
    assert error.message == f"The parameter {LETTER_URL_FIELD} {NOT_OURS}."
