"""The sandbox's Click2CallNumberAuth body rules, alone and behind a verified signature."""

from typing import Any

import pytest

from filings.sandbox.apis import APIS, COMPANY_AUTH, NUMBER_AUTH
from filings.sandbox.errors import VerifyError
from filings.sandbox.number_rules import (
    LETTER_AND_SCRIPT_FIELDS,
    LETTER_FILENAME_FIELD,
    LETTER_URL_FIELD,
    REQUIRED_FIELDS,
    check_number_auth_body,
)
from filings.sandbox.verify import Verified, check_action
from filings.volc.payload import number_auth_payload
from tests.unit.test_sandbox_verify import encode, sign_headers, valid_payload, verify

NUMBER_QUERY = [("Action", NUMBER_AUTH), ("Version", "2022-01-01")]
LETTER = ("https://files.example.com/n1/usage-letter.png?sig=a%2Bb", "业务使用承诺书.png")
NUMBERS = ["13800000001", "01088886666", "057188886666"]


def number_body(action: str = "add", numbers: list[str] | None = None) -> dict[str, Any]:
    """A body as the portal builds it."""
    return number_auth_payload(
        company_name="火山引擎测试有限公司",
        credit_code="91350100M000100Y43",
        action=action,
        numbers=NUMBERS if numbers is None else numbers,
        letter=LETTER if action != "delete" else None,
        script="您好，这里是火山商城客服，您购买的商品已发货。",
        scene="电商",
    )


def refusal(payload: Any) -> VerifyError:
    """The body's refusal, which must be the same behind a verified signature."""
    body = encode(payload)
    result = check_number_auth_body(body)
    assert isinstance(result, VerifyError), result
    assert result.status == 400
    assert verify(sign_headers(body=body, query=NUMBER_QUERY), body, query=NUMBER_QUERY) == result
    return result


def assert_invalid(payload: Any, name: str, *reason: str) -> VerifyError:
    error = refusal(payload)
    assert (error.code, error.code_n) == ("InvalidParameter", None)
    assert error.message.startswith(f"The parameter {name} "), error.message
    for part in reason:
        assert part in error.message
    return error


def with_numbers(value: Any, action: str = "add") -> dict[str, Any]:
    return {**number_body(action), "aNumbers": value}


# --- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["add", "update", "delete"])
def test_the_bodies_the_portal_builds_pass(action: str) -> None:
    payload = number_body(action)
    assert check_number_auth_body(encode(payload)) == payload


@pytest.mark.parametrize("action", ["add", "update", "delete"])
def test_a_signed_number_filing_is_verified_as_click2call_number_auth(action: str) -> None:
    body = encode(number_body(action))
    result = verify(sign_headers(body=body, query=NUMBER_QUERY), body, query=NUMBER_QUERY)

    assert isinstance(result, Verified), result
    assert (result.action, result.version) == (NUMBER_AUTH, "2022-01-01")
    assert result.body == number_body(action)


def test_both_actions_are_served_under_version_2022_01_01() -> None:
    assert set(APIS) == {COMPANY_AUTH, NUMBER_AUTH}
    assert check_action("Action=Click2CallNumberAuth&Version=2022-01-01") == (
        NUMBER_AUTH,
        "2022-01-01",
    )
    assert check_action("Action=Click2CallCompanyAuth&Version=2022-01-01") == (
        COMPANY_AUTH,
        "2022-01-01",
    )


@pytest.mark.parametrize(
    "numbers",
    [
        ["13800000001"],
        ["01088886666", "057188886666"],  # fixed lines: 3- and 4-digit area codes
        [f"138{index:08d}" for index in range(100)],
    ],
    ids=["one", "fixed-lines", "exactly-100"],
)
def test_one_to_a_hundred_distinct_national_numbers_pass(numbers: list[str]) -> None:
    payload = number_body(numbers=numbers)
    assert check_number_auth_body(encode(payload)) == payload


def test_upper_case_letter_extensions_and_plain_http_are_accepted() -> None:
    payload = {
        **number_body(),
        LETTER_URL_FIELD: "http://127.0.0.1:8000/media/letter",
        LETTER_FILENAME_FIELD: "承诺书.JPEG",
    }
    assert check_number_auth_body(encode(payload)) == payload


# --- the fields each action needs ---------------------------------------------------------------


@pytest.mark.parametrize("action", ["add", "update", "delete"])
@pytest.mark.parametrize("name", REQUIRED_FIELDS)
def test_the_four_fields_every_action_needs_are_named_when_missing(action: str, name: str) -> None:
    payload = number_body(action)
    del payload[name]

    error = refusal(payload)
    assert (error.code, error.code_n) == ("MissingParameter", 100002)
    assert error.message == f"The request is missing {name} parameter."


@pytest.mark.parametrize("name", REQUIRED_FIELDS)
@pytest.mark.parametrize("value", ["", "  ", 13800000001, ["13800000001"]])
def test_the_four_fields_must_be_non_empty_strings(name: str, value: Any) -> None:
    assert_invalid({**number_body(), name: value}, name, "non-empty string")


@pytest.mark.parametrize("action", ["add", "update"])
@pytest.mark.parametrize("name", LETTER_AND_SCRIPT_FIELDS)
def test_add_and_update_need_the_letter_and_the_script(action: str, name: str) -> None:
    payload = number_body(action)
    del payload[name]

    error = refusal(payload)
    assert error.code == "MissingParameter"
    assert error.message == f"The request is missing {name} parameter."
    assert_invalid({**number_body(action), name: " "}, name, "non-empty string")


@pytest.mark.parametrize("name", LETTER_AND_SCRIPT_FIELDS)
@pytest.mark.parametrize("value", ["https://files.example.com/x.png", "", None])
def test_delete_refuses_the_letter_and_the_script(name: str, value: Any) -> None:
    assert_invalid({**number_body("delete"), name: value}, name, "not expected", "delete")


@pytest.mark.parametrize("action", ["remove", "ADD", "Add", " add", "add,delete", "上架"])
def test_the_action_must_be_add_update_or_delete(action: str) -> None:
    assert_invalid({**number_body(), "action": action}, "action", "add, update, delete")


@pytest.mark.parametrize(
    "url",
    ["ftp://files.example.com/a.png", "files.example.com/a.png", "javascript:alert(1)", "https://"],
)
def test_the_letter_url_must_be_http_or_https(url: str) -> None:
    assert_invalid({**number_body(), LETTER_URL_FIELD: url}, LETTER_URL_FIELD, "http(s) URL")


@pytest.mark.parametrize("filename", ["承诺书.gif", "承诺书.pdf", "承诺书", "letterjpg", ".jpg"])
def test_the_letter_filename_must_end_in_jpg_jpeg_or_png(filename: str) -> None:
    payload = {**number_body("update"), LETTER_FILENAME_FIELD: filename}
    assert_invalid(payload, LETTER_FILENAME_FIELD, ".jpg, .jpeg or .png")


# --- aNumbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("13800000001, 13800000002", "must not contain spaces"),
        ("13800000001 13800000002", "must not contain spaces"),
        ("13800000001\t", "must not contain spaces"),
        ("13800000001\u300013800000002", "must not contain spaces"),  # ideographic space
        ("13800000001，13800000002", "separated by ASCII commas"),
        ("13800000001、13800000002", "separated by ASCII commas"),
        ("13800000001;13800000002", "separated by ASCII commas"),
        ("13800000001,,13800000002", "empty item"),
        (",13800000001", "empty item"),
        ("13800000001,", "empty item"),
        ("1380000000a", "item 1 ('1380000000a') must be digits only"),
        ("13800000001,+8613800000002", "item 2 ('+8613800000002') must be digits only"),
        ("138-0000-0001", "must be digits only"),
        ("１３８００００００01", "must be digits only"),  # full-width digits
        ("1380000000", "item 1 (1380000000) must be a mainland number in national digits"),
        ("138000000012", "national digits"),
        ("8613800000001", "national digits"),
        ("0571888800011", "national digits"),
        ("0108888666", "national digits"),
        ("23800000001", "national digits"),
    ],
)
def test_each_malformed_a_number_list_is_refused_with_its_reason(value: str, reason: str) -> None:
    assert_invalid(with_numbers(value), "aNumbers", reason)


def test_at_most_a_hundred_numbers() -> None:
    numbers = ",".join(f"138{index:08d}" for index in range(101))
    assert_invalid(with_numbers(numbers), "aNumbers", "at most 100 numbers, not 101")


def test_no_number_twice() -> None:
    value = "13800000001,13800000002,13800000001"
    assert_invalid(with_numbers(value), "aNumbers", "must not repeat a number (13800000001)")


def test_delete_checks_the_numbers_too() -> None:
    assert_invalid(with_numbers("13800000001,13800000001", "delete"), "aNumbers", "repeat")


# --- the body as a whole ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", "火山".encode("gbk")])
def test_the_body_must_be_a_utf8_json_object(body: bytes) -> None:
    result = check_number_auth_body(body)
    assert isinstance(result, VerifyError)
    assert result.code == "InvalidParameter"
    assert "body" in result.message


def test_a_company_filing_body_sent_as_a_number_filing_is_refused() -> None:
    body = encode(valid_payload())
    result = verify(sign_headers(body=body, query=NUMBER_QUERY), body, query=NUMBER_QUERY)
    assert isinstance(result, VerifyError)
    assert result.message == "The request is missing action parameter."


def test_a_number_filing_body_sent_as_a_company_filing_is_refused() -> None:
    body = encode(number_body())
    result = verify(sign_headers(body=body), body)
    assert isinstance(result, VerifyError)
    assert result.code == "MissingParameter"
    assert "businessLicensePicUrl" in result.message
