"""Tests for filings.volc.signing: SDK known-answer vectors at every stage, plus the rules."""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from filings.volc.payload import encode_body, number_auth_payload
from filings.volc.signing import (
    Credentials,
    SignedRequest,
    _hmac_sha256,
    canonical_headers,
    canonical_query,
    redact_authorization,
    sign,
    signing_key,
)

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "volc_v4.json").read_text(encoding="utf-8")
)
BY_NAME = {v["name"]: v for v in VECTORS}
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def body_of(vector: dict[str, Any]) -> bytes:
    if "body_base64" in vector:
        return base64.b64decode(vector["body_base64"])
    return str(vector["body_text"]).encode("utf-8")


def now_of(vector: dict[str, Any]) -> datetime:
    return datetime.strptime(vector["x_date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def credentials_of(vector: dict[str, Any]) -> Credentials:
    return Credentials(
        access_key_id=vector["access_key_id"],
        secret_access_key=vector["secret_access_key"],
        session_token=vector["session_token"],
    )


def sign_vector(vector: dict[str, Any], **overrides: Any) -> SignedRequest:
    kwargs: dict[str, Any] = {
        "method": vector["method"],
        "host": vector["host"],
        "path": vector["path"],
        "query": [tuple(pair) for pair in vector["query"]],
        "headers": vector["headers"],
        "body": body_of(vector),
        "credentials": credentials_of(vector),
        "region": vector["region"],
        "service": vector["service"],
        "now": now_of(vector),
        "sign_content_type": vector["sign_content_type"],
    }
    kwargs.update(overrides)
    return sign(**kwargs)


def test_vectors_cover_the_required_cases() -> None:
    assert len(VECTORS) >= 12
    names = set(BY_NAME)
    assert {
        "seed_company_auth",
        "company_auth_ascii_escaped_json",
        "get_query_percent_encoding",
        "host_with_default_port",
        "local_fake_server_port",
        "company_auth_cn_north_1",
        "session_token",
        "empty_body_post",
        "number_auth_add",
    } <= names
    seed, ascii_ = BY_NAME["seed_company_auth"], BY_NAME["company_auth_ascii_escaped_json"]
    assert "火山" in seed["body_text"]
    assert json.loads(seed["body_text"]) == json.loads(ascii_["body_text"])
    assert seed["expected"]["x_content_sha256"] != ascii_["expected"]["x_content_sha256"]


def test_the_number_auth_vector_signs_the_body_the_portal_builds() -> None:
    vector = BY_NAME["number_auth_add"]
    payload = number_auth_payload(
        company_name="火山引擎测试有限公司",
        credit_code="91350100M000100Y43",
        action="add",
        numbers=["13800000001", "13800000002", "057188880001"],
        letter=(
            "https://files.example.test/filings/n1/usage-letter.jpg",
            "业务使用承诺书.jpg",
        ),
        script="您好，这里是火山商城客服，您购买的商品已发货，请注意查收。",
        scene="电商",
    )
    assert body_of(vector) == encode_body(payload)
    assert vector["query"] == [["Action", "Click2CallNumberAuth"], ["Version", "2022-01-01"]]


# --- known-answer vectors, one test per stage so a failure names the stage ---------------------

vector_params = pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])


@vector_params
def test_vector_payload_hash_and_signed_headers(vector: dict[str, Any]) -> None:
    signed = sign_vector(vector)
    assert signed.headers["X-Content-Sha256"] == vector["expected"]["x_content_sha256"]
    assert signed.signed_headers == vector["expected"]["signed_headers"]


@vector_params
def test_vector_canonical_request(vector: dict[str, Any]) -> None:
    assert sign_vector(vector).canonical_request == vector["expected"]["canonical_request"]


@vector_params
def test_vector_string_to_sign(vector: dict[str, Any]) -> None:
    signed = sign_vector(vector)
    assert signed.string_to_sign == vector["expected"]["string_to_sign"]
    assert signed.credential_scope == vector["expected"]["string_to_sign"].split("\n")[2]


@vector_params
def test_vector_signature(vector: dict[str, Any]) -> None:
    assert sign_vector(vector).signature == vector["expected"]["signature"]


@vector_params
def test_vector_authorization_and_added_headers(vector: dict[str, Any]) -> None:
    signed = sign_vector(vector)
    expected = {
        "X-Date": vector["x_date"],
        "X-Content-Sha256": vector["expected"]["x_content_sha256"],
        "Authorization": vector["expected"]["authorization"],
    }
    if vector["session_token"] is not None:
        expected["X-Security-Token"] = vector["session_token"]
    assert signed.headers == expected


def test_seed_vector_canonical_request_layout() -> None:
    vector = BY_NAME["seed_company_auth"]
    payload_hash = hashlib.sha256(body_of(vector)).hexdigest()
    assert sign_vector(vector).canonical_request == (
        "POST\n/\nAction=Click2CallCompanyAuth&Version=2022-01-01\n"
        "host:cloud-vms.volcengineapi.com\n"
        f"x-content-sha256:{payload_hash}\n"
        "x-date:20260104T113722Z\n"
        "\n"
        "host;x-content-sha256;x-date\n"
        f"{payload_hash}"
    )


# --- query encoding ------------------------------------------------------------------------------

ENCODING_TABLE = [
    ("AZaz09-_.~", "AZaz09-_.~"),
    ("a b", "a%20b"),
    ("/", "%2F"),
    ("~", "~"),
    ("*", "%2A"),
    ("+", "%2B"),
    ("=", "%3D"),
    ("&", "%26"),
    ("%", "%25"),
    ("!'()", "%21%27%28%29"),
    ("火", "%E7%81%AB"),
    ("é", "%C3%A9"),
    ("\U0001f600", "%F0%9F%98%80"),
    ("\n", "%0A"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "encoded"), ENCODING_TABLE)
def test_query_value_and_name_encoding(raw: str, encoded: str) -> None:
    assert canonical_query([("k", raw)]) == f"k={encoded}"
    if raw:
        assert canonical_query([(raw, "v")]) == f"{encoded}=v"


def test_query_sorted_by_name_upper_case_first_and_repeated_names_stable() -> None:
    pairs = [("b", "2"), ("a", "z"), ("B", "1"), ("a", "y"), ("A", "0"), ("a", "x")]
    assert canonical_query(pairs) == "A=0&B=1&a=z&a=y&a=x&b=2"


def test_query_empty() -> None:
    assert canonical_query([]) == ""


def test_query_input_not_mutated() -> None:
    pairs = [("b", "x y"), ("a", "1")]
    canonical_query(pairs)
    assert pairs == [("b", "x y"), ("a", "1")]


# --- header canonicalisation -----------------------------------------------------------------


def test_headers_lower_cased_trimmed_sorted() -> None:
    block, names = canonical_headers(
        {"X-Date": " 20260104T113722Z ", "Host": "example.com", "Content-Type": "\ta/b;  c=d  "}
    )
    assert block == "content-type:a/b;  c=d\nhost:example.com\nx-date:20260104T113722Z\n"
    assert names == "content-type;host;x-date"


@pytest.mark.parametrize(
    ("host", "signed"),
    [
        ("cloud-vms.volcengineapi.com:443", "cloud-vms.volcengineapi.com"),
        ("cloud-vms.volcengineapi.com:80", "cloud-vms.volcengineapi.com"),
        ("127.0.0.1:8765", "127.0.0.1:8765"),
        ("127.0.0.1:4430", "127.0.0.1:4430"),
        ("cloud-vms.volcengineapi.com", "cloud-vms.volcengineapi.com"),
    ],
)
def test_host_default_port_dropped_other_ports_kept(host: str, signed: str) -> None:
    assert canonical_headers({"Host": host}) == (f"host:{signed}\n", "host")


def test_headers_duplicate_names_differing_in_case_rejected() -> None:
    with pytest.raises(ValueError, match="X-Foo"):
        canonical_headers({"x-foo": "1", "X-Foo": "2"})


def test_sign_trims_header_values() -> None:
    vector = BY_NAME["extra_headers"]
    padded = {name: f"  {value}\t" for name, value in vector["headers"].items()}
    signed = sign_vector(vector, headers=padded, host=f" {vector['host']} ")
    assert signed.signature == vector["expected"]["signature"]


def test_sign_header_names_case_insensitive() -> None:
    vector = BY_NAME["extra_headers"]
    lowered = {name.lower(): value for name, value in vector["headers"].items()}
    lowered["CONTENT-MD5"] = lowered.pop("content-md5")
    assert sign_vector(vector, headers=lowered).signature == vector["expected"]["signature"]


def test_sign_does_not_sign_other_headers() -> None:
    vector = BY_NAME["seed_company_auth"]
    extra = {**vector["headers"], "Accept": "*/*", "User-Agent": "x", "Content-Length": "9"}
    signed = sign_vector(vector, headers=extra)
    assert signed.signature == vector["expected"]["signature"]
    assert signed.signed_headers == "host;x-content-sha256;x-date"


def test_sign_does_not_mutate_inputs() -> None:
    vector = BY_NAME["extra_headers"]
    headers = dict(vector["headers"])
    query = [("Version", "2022-01-01"), ("Action", "Click2CallCompanyAuth")]
    before = (copy.deepcopy(headers), list(query))
    signed = sign_vector(vector, headers=headers, query=query)
    assert (headers, query) == before
    assert "Authorization" not in headers
    # A read-only mapping and a tuple work too: nothing is written back.
    again = sign_vector(vector, headers=MappingProxyType(headers), query=tuple(query))
    assert again.signature == signed.signature


@pytest.mark.parametrize("name", ["X-Date", "x-content-sha256", "Authorization", "Host"])
def test_sign_rejects_headers_it_sets_itself(name: str) -> None:
    vector = BY_NAME["seed_company_auth"]
    with pytest.raises(ValueError, match=name):
        sign_vector(vector, headers={**vector["headers"], name: "x"})


# --- method, path, clock ---------------------------------------------------------------------


def test_method_upper_cased_and_empty_path_is_root() -> None:
    vector = BY_NAME["seed_company_auth"]
    signed = sign_vector(vector, method="post", path="")
    assert signed.signature == vector["expected"]["signature"]


def test_naive_datetime_rejected() -> None:
    vector = BY_NAME["seed_company_auth"]
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_vector(vector, now=datetime(2026, 1, 4, 11, 37, 22))


def test_aware_non_utc_time_converted_to_utc() -> None:
    vector = BY_NAME["seed_company_auth"]
    beijing = timezone(timedelta(hours=8))
    signed = sign_vector(vector, now=datetime(2026, 1, 4, 19, 37, 22, 999999, tzinfo=beijing))
    assert signed.headers["X-Date"] == "20260104T113722Z"
    assert signed.signature == vector["expected"]["signature"]


def test_scope_date_is_the_utc_day() -> None:
    vector = BY_NAME["seed_company_auth"]
    beijing = timezone(timedelta(hours=8))
    signed = sign_vector(vector, now=datetime(2026, 1, 5, 1, 0, 0, tzinfo=beijing))
    assert signed.headers["X-Date"] == "20260104T170000Z"
    assert signed.credential_scope == "20260104/cn-beijing/vms/request"


def test_empty_body_hash() -> None:
    signed = sign_vector(BY_NAME["seed_company_auth"], body=b"")
    assert signed.headers["X-Content-Sha256"] == EMPTY_SHA256
    assert signed.canonical_request.endswith("\n" + EMPTY_SHA256)


# --- keys and secrets ------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["k", "F" * 63, "F" * 64, "F" * 65, "密钥" * 40])
def test_signing_key_is_the_raw_secret_hmac_chain(secret: str) -> None:
    expected = secret.encode()
    for part in ("20260104", "cn-beijing", "vms", "request"):
        expected = hmac.new(expected, part.encode(), hashlib.sha256).digest()
    assert signing_key(secret, "20260104", "cn-beijing", "vms") == expected


@pytest.mark.parametrize("key_length", [0, 1, 32, 63, 64, 65, 128, 300])
@pytest.mark.parametrize("message_length", [0, 1, 55, 56, 64, 1000])
def test_hmac_matches_the_stdlib(key_length: int, message_length: int) -> None:
    key = bytes((7 * i + 3) % 256 for i in range(key_length))
    message = bytes((11 * i + 5) % 256 for i in range(message_length))
    assert _hmac_sha256(key, message) == hmac.digest(key, message, "sha256")


def test_signature_is_hmac_of_string_to_sign() -> None:
    vector = BY_NAME["seed_company_auth"]
    signed = sign_vector(vector)
    key = signing_key(vector["secret_access_key"], "20260104", "cn-beijing", "vms")
    expected = hmac.new(key, signed.string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert signed.signature == expected


def test_secret_absent_from_repr_and_returned_values() -> None:
    vector = BY_NAME["session_token"]
    secret, token = vector["secret_access_key"], vector["session_token"]
    credentials = credentials_of(vector)
    assert secret not in repr(credentials)
    assert token not in repr(credentials)
    assert vector["access_key_id"] in repr(credentials)

    signed = sign_vector(vector)
    for f in dataclasses.fields(signed):
        assert secret not in str(getattr(signed, f.name)), f.name
    assert all(secret not in value for value in signed.headers.values())
    for hidden in (secret, token, signed.signature):
        assert hidden not in repr(signed)
    assert signed.signed_headers in repr(signed)


def test_secret_absent_from_exceptions() -> None:
    secret = "FAKE-secret-\ud800-not-utf8"
    with pytest.raises(ValueError, match="UTF-8") as caught:
        signing_key(secret, "20260104", "cn-beijing", "vms")
    assert secret not in str(caught.value)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None

    vector = BY_NAME["seed_company_auth"]
    with pytest.raises(ValueError, match="timezone-aware") as naive:
        sign_vector(vector, now=datetime(2026, 1, 4))
    assert vector["secret_access_key"] not in str(naive.value)


def test_empty_secret_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        signing_key("", "20260104", "cn-beijing", "vms")


# --- Authorization redaction -------------------------------------------------------------------


def test_redact_authorization() -> None:
    vector = BY_NAME["seed_company_auth"]
    authorization = vector["expected"]["authorization"]
    redacted = redact_authorization(authorization)
    assert redacted == (
        "HMAC-SHA256 Credential=AKLTFAKE-test-only-access-key-0001/20260104/cn-beijing/vms/request,"
        " SignedHeaders=host;x-content-sha256;x-date, Signature=***"
    )
    assert vector["expected"]["signature"] not in redacted
    assert redact_authorization(redacted) == redacted


def test_redact_authorization_leaves_other_text() -> None:
    assert redact_authorization("Bearer abc") == "Bearer abc"
    assert redact_authorization("Signature=ab12, Next=1") == "Signature=***, Next=1"


# --- session token and Content-Type ----------------------------------------------------------


def test_session_token_header_added_and_signed() -> None:
    vector = BY_NAME["session_token"]
    signed = sign_vector(vector)
    assert signed.headers["X-Security-Token"] == vector["session_token"]
    assert signed.signed_headers == "host;x-content-sha256;x-date;x-security-token"
    assert f"\nx-security-token:{vector['session_token']}\n" in signed.canonical_request

    without = sign_vector(
        vector, credentials=Credentials(vector["access_key_id"], vector["secret_access_key"])
    )
    assert "X-Security-Token" not in without.headers
    assert "x-security-token" not in without.canonical_request
    assert without.signature != signed.signature


def test_content_type_signed_only_when_asked() -> None:
    unsigned, signed_ct = BY_NAME["seed_company_auth"], BY_NAME["company_auth_content_type_signed"]
    assert unsigned["headers"] == signed_ct["headers"]
    excluded = sign_vector(unsigned, sign_content_type=False)
    included = sign_vector(unsigned, sign_content_type=True)
    assert "content-type" not in excluded.signed_headers.split(";")
    assert "content-type:" not in excluded.canonical_request
    assert excluded.signature == unsigned["expected"]["signature"]
    assert included.signed_headers.split(";")[0] == "content-type"
    assert "\ncontent-type:application/json; charset=UTF-8\n" in included.canonical_request
    assert included.signature == signed_ct["expected"]["signature"]


def test_content_md5_signed_even_without_content_type() -> None:
    vector = BY_NAME["extra_headers"]
    signed = sign_vector(vector, sign_content_type=False)
    assert signed.signed_headers == "content-md5;host;x-content-sha256;x-date;x-request-id"
