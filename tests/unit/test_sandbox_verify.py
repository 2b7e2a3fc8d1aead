"""The sandbox's V4 verifier, against a signer written here and the official SDK's vectors."""

import ast
import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from filings.sandbox import apis, body_rules, company_rules, errors, number_rules
from filings.sandbox import verify as sandbox_verify
from filings.sandbox.apis import APIS
from filings.sandbox.body_rules import peek_credit_code, picture_kind
from filings.sandbox.company_rules import (
    PIC_FILENAME_FIELDS,
    PIC_URL_FIELDS,
    check_company_auth_body,
)
from filings.sandbox.errors import VerifyError
from filings.sandbox.verify import (
    RequestParts,
    Verified,
    canonical_query,
    check_action,
    parse_query,
    verify_request,
    verify_signature,
)

AK = "AKLTdGVzdC1zYW5kYm94LWFrLTAwMQ"
SK = "c2FuZGJveC10ZXN0LXNlY3JldC1rZXktMDAx"
HOST = "cloud-vms.volcengineapi.com"
X_DATE = "20260104T113722Z"
NOW = datetime(2026, 1, 4, 11, 37, 22, tzinfo=UTC)
QUERY = [("Action", "Click2CallCompanyAuth"), ("Version", "2022-01-01")]
REGIONS = frozenset({"cn-beijing", "cn-north-1"})
DOC_STYLE = ("host", "x-content-sha256", "x-date")
SDK_STYLE = ("content-type", "host", "x-content-sha256", "x-date")
VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "volc_v4.json"

TEXT_FIELDS = (
    "companyName",
    "companyCreditCode",
    *(name for pair in zip(PIC_URL_FIELDS, PIC_FILENAME_FIELDS, strict=True) for name in pair),
    "calleeSource",
    "businessCarrier",
)


# --- an independent signer, written from Volcengine's description of V4 signing ---------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _encode(text: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign_headers(
    *,
    body: bytes,
    query: Sequence[tuple[str, str]] = QUERY,
    host: str = HOST,
    path: str = "/",
    method: str = "POST",
    x_date: str = X_DATE,
    ak: str = AK,
    sk: str = SK,
    region: str = "cn-beijing",
    service: str = "vms",
    scope_date: str | None = None,
    signed: Iterable[str] = DOC_STYLE,
    content_type: str = "application/json; charset=UTF-8",
) -> dict[str, str]:
    """The headers a well-behaved client sends: Host, Content-Type, X-Date, X-Content-Sha256,
    Authorization, the signature covering the `signed` names."""
    payload_hash = hashlib.sha256(body).hexdigest()
    sent = {
        "Host": host,
        "Content-Type": content_type,
        "X-Date": x_date,
        "X-Content-Sha256": payload_hash,
    }
    by_name = {name.lower(): value for name, value in sent.items()}
    names = sorted(signed)
    pairs = sorted(query, key=lambda pair: pair[0].encode("utf-8"))
    canonical = "\n".join(
        [
            method,
            path,
            "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs),
            "".join(f"{name}:{by_name[name].strip()}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    scope = f"{scope_date or x_date[:8]}/{region}/{service}/request"
    to_sign = "\n".join(
        ["HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = sk.encode("utf-8")
    for part in (scope_date or x_date[:8], region, service, "request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    sent["Authorization"] = (
        f"HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}"
    )
    return sent


def valid_payload() -> dict[str, Any]:
    payload: dict[str, Any] = {
        "companyName": "火山引擎测试有限公司",
        "companyCreditCode": "91350100M000100Y43",
    }
    for url_field, filename_field in zip(PIC_URL_FIELDS, PIC_FILENAME_FIELDS, strict=True):
        payload[url_field] = f"https://files.example.com/{url_field}.png?sig=a%2Bb"
        payload[filename_field] = f"{filename_field}.png"
    payload["calleeSource"] = "网站"
    payload["businessCarrier"] = "火山引擎测试有限公司"
    payload["scriptList"] = [{"scriptContent": "您好，这里是火山快递。", "scriptScene": "快递"}]
    return payload


def encode(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


BODY = encode(valid_payload())


def verify(
    headers: Mapping[str, str],
    body: bytes = BODY,
    *,
    query: Sequence[tuple[str, str]] = QUERY,
    path: str = "/",
    method: str = "POST",
    now: datetime = NOW,
    regions: frozenset[str] = REGIONS,
) -> Verified | VerifyError:
    return verify_request(
        RequestParts(method, path, urlencode(query), headers, body),
        credentials={AK: SK},
        now=now,
        regions=regions,
    )


def assert_error(result: Verified | VerifyError, code: str, status: int) -> VerifyError:
    assert isinstance(result, VerifyError), result
    assert (result.code, result.status) == (code, status), result
    assert SK not in result.message
    return result


# --- accepted ---------------------------------------------------------------------------------


def test_a_correctly_signed_request_is_accepted() -> None:
    result = verify(sign_headers(body=BODY))

    assert isinstance(result, Verified)
    assert (result.access_key, result.region) == (AK, "cn-beijing")
    assert (result.action, result.version) == ("Click2CallCompanyAuth", "2022-01-01")
    assert result.body == valid_payload()


@pytest.mark.parametrize("signed", [DOC_STYLE, SDK_STYLE, ("host", "x-date")])
def test_any_set_of_signed_headers_that_covers_host_and_x_date_is_accepted(
    signed: tuple[str, ...],
) -> None:
    assert isinstance(verify(sign_headers(body=BODY, signed=signed)), Verified)


def test_headers_are_matched_case_insensitively() -> None:
    headers = {name.upper(): value for name, value in sign_headers(body=BODY).items()}
    assert isinstance(verify(headers), Verified)


def test_the_sdk_region_is_accepted_too() -> None:
    assert isinstance(verify(sign_headers(body=BODY, region="cn-north-1")), Verified)


def test_a_signature_made_near_either_edge_of_the_window_is_accepted() -> None:
    headers = sign_headers(body=BODY)
    assert isinstance(verify(headers, now=NOW + timedelta(seconds=900)), Verified)
    assert isinstance(verify(headers, now=NOW - timedelta(seconds=900)), Verified)


def test_a_path_and_awkward_query_values_are_canonicalised_like_the_signer() -> None:
    query = [
        *QUERY,
        ("Z", "a b"),
        ("a", "火 +/*~=&"),
        ("Empty", ""),
        ("a", "second"),
    ]
    headers = sign_headers(body=BODY, query=query, path="/sandbox/vms/", host="127.0.0.1:8765")
    assert isinstance(verify(headers, query=query, path="/sandbox/vms/"), Verified)


def test_the_query_is_decoded_like_go_and_re_encoded_per_the_spec() -> None:
    wire = "b=2&a=%E7%81%AB+x%2B&Version=2022-01-01&Action=Click2CallCompanyAuth&Empty&Z=%7e*"
    assert parse_query("a=1+2&&b")[0] == (b"a", b"1 2")
    assert canonical_query(wire) == (
        "Action=Click2CallCompanyAuth&Empty=&Version=2022-01-01&Z=~%2A&a=%E7%81%AB%20x%2B&b=2"
    )


def test_repeated_query_names_keep_their_request_order() -> None:
    assert canonical_query("k=2&a=0&k=1") == "a=0&k=2&k=1"


# --- refused before the signature is checked ---------------------------------------------------


def test_no_authorization_header_is_missing_authentication_token() -> None:
    headers = sign_headers(body=BODY)
    del headers["Authorization"]
    error = assert_error(verify(headers), "MissingAuthenticationToken", 401)
    assert error.code_n == 100003


@pytest.mark.parametrize(
    "authorization",
    [
        "garbage",
        "Bearer abc",
        f"AWS4-HMAC-SHA256 Credential={AK}/20260104/cn-beijing/vms/request, "
        f"SignedHeaders=host;x-date, Signature={'0' * 64}",
        f"HMAC-SHA256 Credential={AK}/20260104/cn-beijing/vms/request,"
        f"SignedHeaders=host;x-date,Signature={'0' * 64}",
        f"HMAC-SHA256 Credential={AK}/20260104/cn-beijing/vms, "
        f"SignedHeaders=host;x-date, Signature={'0' * 64}",
        f"HMAC-SHA256 Credential={AK}/20260104/cn-beijing/vms/aws4_request, "
        f"SignedHeaders=host;x-date, Signature={'0' * 64}",
        f"HMAC-SHA256 Credential={AK}/2026-01-04/cn-beijing/vms/request, "
        f"SignedHeaders=host;x-date, Signature={'0' * 64}",
        f"HMAC-SHA256 Credential={AK}/20260104/cn-beijing/vms/request, "
        f"SignedHeaders=host;x-date, Signature={'Z' * 64}",
        f"HMAC-SHA256 Credential={AK}/20260104/cn-beijing/vms/request, "
        f"SignedHeaders=x-date;host, Signature={'0' * 64}",
        f"HMAC-SHA256 Credential={AK}/20260104/cn-beijing/vms/request, "
        f"SignedHeaders=Host;X-Date, Signature={'0' * 64}",
    ],
)
def test_a_malformed_authorization_header_is_invalid_authorization(authorization: str) -> None:
    headers = sign_headers(body=BODY)
    headers["Authorization"] = authorization
    assert_error(verify(headers), "InvalidAuthorization", 400)


def test_an_authorization_without_signature_is_missing_signature() -> None:
    headers = sign_headers(body=BODY)
    headers["Authorization"] = headers["Authorization"].rpartition(", Signature=")[0]
    error = assert_error(verify(headers), "MissingSignature", 401)
    assert error.code_n == 100005


@pytest.mark.parametrize(("signed", "missing"), [(("x-date",), "host"), (("host",), "x-date")])
def test_host_and_x_date_must_be_signed(signed: tuple[str, ...], missing: str) -> None:
    error = assert_error(
        verify(sign_headers(body=BODY, signed=signed)), "InvalidAuthorization", 400
    )
    assert missing in error.message


def test_a_request_without_x_date_is_missing_request_info() -> None:
    headers = sign_headers(body=BODY)
    del headers["X-Date"]
    error = assert_error(verify(headers), "MissingRequestInfo", 400)
    assert "X-Date" in error.message


@pytest.mark.parametrize("x_date", ["2026-01-04T11:37:22Z", "20260104T113722", "20261304T113722Z"])
def test_a_malformed_x_date_is_invalid_timestamp(x_date: str) -> None:
    headers = sign_headers(body=BODY, x_date=x_date, scope_date="20260104")
    error = assert_error(verify(headers), "InvalidTimestamp", 400)
    assert error.code_n == 100006


@pytest.mark.parametrize("offset", [timedelta(minutes=20), timedelta(minutes=-20)])
def test_an_x_date_twenty_minutes_off_either_way_is_invalid_timestamp(offset: timedelta) -> None:
    # now - 20 min: the signature is 20 minutes old; now + 20 min: signed in the future.
    error = assert_error(verify(sign_headers(body=BODY), now=NOW + offset), "InvalidTimestamp", 400)
    assert error.code_n == 100006


def test_a_naive_now_is_taken_as_utc() -> None:
    assert isinstance(verify(sign_headers(body=BODY), now=NOW.replace(tzinfo=None)), Verified)


def test_a_scope_date_other_than_the_x_date_day_does_not_match() -> None:
    headers = sign_headers(body=BODY, scope_date="20260103")
    error = assert_error(verify(headers), "SignatureDoesNotMatch", 401)
    assert "20260103" in error.message


def test_a_service_other_than_vms_is_service_not_found() -> None:
    error = assert_error(verify(sign_headers(body=BODY, service="iam")), "ServiceNotFound", 404)
    assert error.code_n == 100007


def test_an_unknown_access_key_is_invalid_access_key() -> None:
    error = assert_error(verify(sign_headers(body=BODY, ak="AKLTunknown")), "InvalidAccessKey", 401)
    assert error.code_n == 100009
    assert "AKLTunknown" in error.message


def test_a_region_that_is_not_accepted_does_not_match() -> None:
    assert_error(
        verify(sign_headers(body=BODY, region="ap-singapore-1")), "SignatureDoesNotMatch", 401
    )


# --- the signature itself -------------------------------------------------------------------


def test_a_signature_made_with_another_secret_does_not_match() -> None:
    error = assert_error(
        verify(sign_headers(body=BODY, sk="not-the-secret")), "SignatureDoesNotMatch", 401
    )
    assert error.code_n == 100010
    assert "Canonical request" in error.message


def test_a_body_changed_after_signing_does_not_match() -> None:
    headers = sign_headers(body=BODY, signed=("host", "x-date"))
    del headers["X-Content-Sha256"]
    assert_error(
        verify(headers, BODY.replace("网站".encode(), "公众号".encode())),
        "SignatureDoesNotMatch",
        401,
    )


def test_an_x_content_sha256_that_is_not_the_body_hash_does_not_match() -> None:
    # Not signed, so only the explicit comparison can catch it.
    headers = sign_headers(body=BODY, signed=("host", "x-date"))
    headers["X-Content-Sha256"] = hashlib.sha256(b"something else").hexdigest()
    error = assert_error(verify(headers), "SignatureDoesNotMatch", 401)
    assert "X-Content-Sha256" in error.message


def test_the_same_json_with_ascii_escapes_is_other_bytes_and_does_not_match() -> None:
    headers = sign_headers(body=BODY)
    escaped = json.dumps(valid_payload()).encode()
    assert_error(verify(headers, escaped), "SignatureDoesNotMatch", 401)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Host", "127.0.0.1:8000"),
        ("Content-Type", "application/json"),
        ("X-Date", "20260104T113723Z"),
    ],
)
def test_a_signed_header_changed_after_signing_does_not_match(header: str, value: str) -> None:
    headers = sign_headers(body=BODY, signed=SDK_STYLE)
    headers[header] = value
    assert_error(verify(headers), "SignatureDoesNotMatch", 401)


def test_a_signed_header_absent_from_the_request_does_not_match() -> None:
    headers = sign_headers(body=BODY, signed=SDK_STYLE)
    del headers["Content-Type"]
    assert_error(verify(headers), "SignatureDoesNotMatch", 401)


def test_a_changed_query_or_path_does_not_match() -> None:
    headers = sign_headers(body=BODY, query=[*QUERY, ("x", "1")])
    assert_error(verify(headers, query=[*QUERY, ("x", "2")]), "SignatureDoesNotMatch", 401)
    assert_error(verify(sign_headers(body=BODY), path="/other/"), "SignatureDoesNotMatch", 401)


# --- Action and Version -----------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["Action", "Version"])
def test_a_missing_action_or_version_is_missing_parameter(missing: str) -> None:
    query = [pair for pair in QUERY if pair[0] != missing]
    error = assert_error(
        verify(sign_headers(body=BODY, query=query), query=query), "MissingParameter", 400
    )
    assert error.code_n == 100002
    assert missing in error.message


@pytest.mark.parametrize(
    "query",
    [
        [("Action", "Click2CallCompanyAuth"), ("Version", "2020-01-01")],
        [("Action", "Click2CallNumberAuth"), ("Version", "2020-01-01")],
        [("Action", "Click2CallLite"), ("Version", "2022-01-01")],
        [("Action", "click2callcompanyauth"), ("Version", "2022-01-01")],
    ],
)
def test_a_wrong_action_or_version_is_invalid_action_or_version(
    query: list[tuple[str, str]],
) -> None:
    error = assert_error(
        verify(sign_headers(body=BODY, query=query), query=query), "InvalidActionOrVersion", 404
    )
    assert error.code_n == 100008


# --- the body ---------------------------------------------------------------------------------


def body_error(payload: Any) -> VerifyError:
    body = payload if isinstance(payload, bytes) else encode(payload)
    result = verify(sign_headers(body=body), body)
    assert isinstance(result, VerifyError), result
    assert result.status == 400
    assert check_company_auth_body(body) == result
    return result


def without(name: str) -> dict[str, Any]:
    payload = valid_payload()
    del payload[name]
    return payload


def with_value(name: str, value: Any) -> dict[str, Any]:
    return {**valid_payload(), name: value}


@pytest.mark.parametrize("name", [*TEXT_FIELDS, "scriptList"])
def test_each_missing_field_is_named(name: str) -> None:
    error = body_error(without(name))
    assert (error.code, error.code_n) == ("MissingParameter", 100002)
    assert name in error.message


@pytest.mark.parametrize("name", TEXT_FIELDS)
@pytest.mark.parametrize("value", ["", "   ", 42, ["x"]])
def test_each_field_must_be_a_non_empty_string(name: str, value: Any) -> None:
    error = body_error(with_value(name, value))
    assert error.code == "InvalidParameter"
    assert name in error.message


@pytest.mark.parametrize("name", PIC_URL_FIELDS)
@pytest.mark.parametrize(
    "url",
    ["ftp://files.example.com/a.png", "files.example.com/a.png", "javascript:alert(1)", "https://"],
)
def test_picture_urls_must_be_http_or_https(name: str, url: str) -> None:
    error = body_error(with_value(name, url))
    assert error.code == "InvalidParameter"
    assert name in error.message


def test_plain_http_urls_and_upper_case_extensions_are_accepted() -> None:
    payload = {**valid_payload(), PIC_URL_FIELDS[0]: "http://127.0.0.1:8000/media/a"}
    payload[PIC_FILENAME_FIELDS[0]] = "营业执照.JPEG"
    assert check_company_auth_body(encode(payload)) == payload


@pytest.mark.parametrize("name", PIC_FILENAME_FIELDS)
@pytest.mark.parametrize(
    "filename", ["licence.gif", "licence.pdf", "licence", "licencejpg", ".jpg"]
)
def test_picture_filenames_must_end_in_jpg_jpeg_or_png(name: str, filename: str) -> None:
    error = body_error(with_value(name, filename))
    assert error.code == "InvalidParameter"
    assert name in error.message


@pytest.mark.parametrize(
    ("scripts", "named"),
    [
        ([], "scriptList"),
        ("快递", "scriptList"),
        ({"scriptContent": "x", "scriptScene": "y"}, "scriptList"),
        (["快递"], "scriptList[0]"),
        ([{"scriptScene": "快递"}], "scriptList[0].scriptContent"),
        ([{"scriptContent": "你好", "scriptScene": ""}], "scriptList[0].scriptScene"),
        (
            [
                {"scriptContent": "你好", "scriptScene": "快递"},
                {"scriptContent": 1, "scriptScene": "x"},
            ],
            "scriptList[1].scriptContent",
        ),
    ],
)
def test_script_list_must_be_a_non_empty_list_of_scripts(scripts: Any, named: str) -> None:
    error = body_error(with_value("scriptList", scripts))
    assert error.code in {"InvalidParameter", "MissingParameter"}
    assert named in error.message


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'"text"', "火山".encode("gbk"), b"{" * 100_000],
)
def test_the_body_must_be_a_utf8_json_object(body: bytes) -> None:
    error = body_error(body)
    assert error.code == "InvalidParameter"
    assert "body" in error.message


def test_the_signature_is_checked_before_the_body() -> None:
    body = encode(without("companyName"))
    headers = sign_headers(body=body, sk="wrong")
    assert_error(verify(headers, body), "SignatureDoesNotMatch", 401)


# --- the secret never leaks -----------------------------------------------------------------


def test_no_message_ever_contains_the_secret_key() -> None:
    good = sign_headers(body=BODY)
    cases: list[tuple[dict[str, str], bytes, Sequence[tuple[str, str]]]] = [
        (sign_headers(body=BODY, sk="wrong", signed=SDK_STYLE), BODY, QUERY),
        # A client that put its secret where the access key goes: not echoed back.
        (sign_headers(body=BODY, ak=SK), BODY, QUERY),
        ({**good, "Authorization": good["Authorization"] + SK}, BODY, QUERY),
        ({**good, "X-Content-Sha256": "0" * 64}, BODY, QUERY),
        (sign_headers(body=BODY, region=SK), BODY, QUERY),
        (sign_headers(body=BODY, service=SK), BODY, QUERY),
        (
            sign_headers(body=BODY, query=[("Action", SK), ("Version", "1")]),
            BODY,
            [("Action", SK), ("Version", "1")],
        ),
        (sign_headers(body=b"{}"), b"{}", QUERY),
    ]
    for headers, body, query in cases:
        result = verify(headers, body, query=query)
        assert isinstance(result, VerifyError)
        assert SK not in result.message, result


PURE_SANDBOX_MODULES = [sandbox_verify, errors, body_rules, company_rules, number_rules, apis]
STANDARD_LIBRARY = {
    "__future__",
    "hashlib",
    "hmac",
    "json",
    "re",
    "collections",
    "dataclasses",
    "datetime",
    "types",
    "typing",
    "urllib",
}


@pytest.mark.parametrize("module", PURE_SANDBOX_MODULES, ids=lambda module: module.__name__)
def test_the_verifier_is_pure_and_independent_of_the_client_signer(module: Any) -> None:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    # Only the standard library, and each other: never Django, the network or the client's signer.
    siblings = {sibling.__name__ for sibling in PURE_SANDBOX_MODULES}
    assert {name.split(".")[0] for name in imported - siblings} <= STANDARD_LIBRARY


# --- small helpers ----------------------------------------------------------------------------


def test_picture_kind_reads_magic_bytes() -> None:
    assert picture_kind(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "jpeg"
    assert picture_kind(b"\x89PNG\r\n\x1a\n\x00\x00") == "png"
    assert picture_kind(b"GIF89a") is None
    assert picture_kind(b"") is None


def test_peek_credit_code_never_fails() -> None:
    assert peek_credit_code(BODY) == "91350100M000100Y43"
    assert peek_credit_code(b"\xff") == ""
    assert peek_credit_code(b"[]") == ""
    assert peek_credit_code(b'{"companyCreditCode": 1}') == ""


# --- known answers from the official SDK (tests/vectors/volc_v4.json) -------------------------


def _load_vectors() -> list[dict[str, Any]]:
    if not VECTORS.exists():
        return []
    cases: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return [case for case in cases if case["service"] == "vms"]


SDK_VECTORS = _load_vectors()


def _vector_request(case: dict[str, Any]) -> tuple[RequestParts, dict[str, Any]]:
    """The request as an HTTP library would send what the SDK signed (Host without :80/:443),
    and what the verifier must be told to accept it."""
    host = case["host"].removesuffix(":443").removesuffix(":80")
    headers = {**case["headers"], "Host": host, "X-Date": case["x_date"]}
    headers["X-Content-Sha256"] = case["expected"]["x_content_sha256"]
    headers["Authorization"] = case["expected"]["authorization"]
    if case["session_token"] is not None:
        headers["X-Security-Token"] = case["session_token"]
    if "body_base64" in case:
        body = base64.b64decode(case["body_base64"])
    else:
        body = case["body_text"].encode("utf-8")
    request = RequestParts(
        method=case["method"],
        path=case["path"],
        query_string=urlencode([(name, value) for name, value in case["query"]]),
        headers=headers,
        body=body,
    )
    options = {
        "credentials": {case["access_key_id"]: case["secret_access_key"]},
        "now": datetime.strptime(case["x_date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC),
        "regions": {case["region"]},
    }
    return request, options


@pytest.mark.skipif(not SDK_VECTORS, reason="tests/vectors/volc_v4.json not produced yet")
@pytest.mark.parametrize("case", SDK_VECTORS, ids=lambda case: str(case["name"]))
def test_every_sdk_vector_for_vms_is_accepted(case: dict[str, Any]) -> None:
    request, options = _vector_request(case)
    expected = case["expected"]

    assert (
        sandbox_verify.canonical_request(
            request,
            signed_headers=tuple(expected["signed_headers"].split(";")),
            payload_hash=hashlib.sha256(request.body).hexdigest(),
        )
        == expected["canonical_request"]
    )
    auth = verify_signature(request, **options)
    assert not isinstance(auth, VerifyError), auth
    assert auth.signature == expected["signature"]

    # Past the signature, only Action/Version and the Action's body rules can refuse a vector.
    action = check_action(request.query_string)
    body = action if isinstance(action, VerifyError) else APIS[action[0]].check_body(request.body)
    refusal = body if isinstance(body, VerifyError) else None
    full = verify_request(request, **options)
    if refusal is None:
        assert isinstance(full, Verified), full
    else:
        assert full == refusal


@pytest.mark.skipif(not SDK_VECTORS, reason="tests/vectors/volc_v4.json not produced yet")
@pytest.mark.parametrize(
    ("name", "action"),
    [("seed_company_auth", "Click2CallCompanyAuth"), ("number_auth_add", "Click2CallNumberAuth")],
)
def test_the_sdk_signed_filings_pass_every_check(name: str, action: str) -> None:
    (case,) = (case for case in SDK_VECTORS if case["name"] == name)
    request, options = _vector_request(case)
    verified = verify_request(request, **options)
    assert isinstance(verified, Verified), verified
    assert verified.action == action


@pytest.mark.skipif(not SDK_VECTORS, reason="tests/vectors/volc_v4.json not produced yet")
@pytest.mark.parametrize("case", SDK_VECTORS[:1], ids=lambda case: str(case["name"]))
def test_an_sdk_vector_with_one_byte_changed_is_refused(case: dict[str, Any]) -> None:
    request, options = _vector_request(case)
    headers = {name: value for name, value in request.headers.items() if name != "X-Content-Sha256"}
    changed = replace(request, body=request.body.replace(b"}", b" }", 1), headers=headers)
    result = verify_signature(changed, **options)
    assert isinstance(result, VerifyError)
    assert result.code == "SignatureDoesNotMatch"
