"""The Click2CallCompanyAuth client's pure parts: body, target, classification, summary.

No database and no network. The field order (tests/api_page.py) is copied by hand from
Volcengine's API page for Click2CallCompanyAuth (its request-parameter table and example), not
from the client, so the two check each other.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from filings.volc import client
from filings.volc.classify import Classification, Outcome, classify_no_answer, classify_response
from filings.volc.client import SendResult, Target, send_action
from filings.volc.payload import company_auth_payload, encode_body
from filings.volc.signing import Credentials
from tests.api_page import API_FIELD_ORDER, SCRIPT_ITEM_ORDER

ACTION = "Click2CallCompanyAuth"

# Given deliberately in an order unlike the API page's, to show the page's order wins.
DOCUMENTS = {
    "numberapplicationOfficialletter": ("https://oss.example.com/n.png?a=1&b=%2F", "公函.png"),
    "operatorIdcardInhand": ("https://oss.example.com/h.jpg", "hand.jpg"),
    "businessLicense": ("https://oss.example.com/b.jpg", "营业执照.jpg"),
    "networkaccessCommitmentletter": ("https://oss.example.com/c.jpeg", "letter.jpeg"),
    "proprietorIdcard": ("https://oss.example.com/p.jpg", "legal.jpg"),
    "operatorIdcard": ("https://oss.example.com/o.jpg", "admin.jpg"),
}


def payload(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "company_name": "火山示例科技有限公司",
        "credit_code": "91350100M000100Y43",
        "documents": DOCUMENTS,
        "callee_source": "网站、公众号",
        "business_carrier": "火山示例科技有限公司",
        "scripts": [("快递", "您好，您的快递已到。"), ("售后", '他说："好的"\n谢谢\\')],
    }
    arguments.update(overrides)
    return company_auth_payload(**arguments)


# --- the body --------------------------------------------------------------------------------


def test_payload_fields_are_exactly_the_api_pages_in_its_order() -> None:
    body = payload()

    assert list(body) == API_FIELD_ORDER
    for item in body["scriptList"]:
        assert list(item) == SCRIPT_ITEM_ORDER


def test_payload_values_land_in_their_fields() -> None:
    body = payload()

    assert body["companyName"] == "火山示例科技有限公司"
    assert body["companyCreditCode"] == "91350100M000100Y43"
    assert body["businessLicensePicUrl"] == "https://oss.example.com/b.jpg"
    assert body["businessLicensePicFilename"] == "营业执照.jpg"
    assert (
        body["numberapplicationOfficialletterPicUrl"] == "https://oss.example.com/n.png?a=1&b=%2F"
    )
    assert body["numberapplicationOfficialletterPicFilename"] == "公函.png"
    assert body["operatorIdcardInhandPicFilename"] == "hand.jpg"
    assert body["calleeSource"] == "网站、公众号"
    assert body["businessCarrier"] == "火山示例科技有限公司"
    # scripts are given as (scene, content) and keep their order.
    assert body["scriptList"] == [
        {"scriptContent": "您好，您的快递已到。", "scriptScene": "快递"},
        {"scriptContent": '他说："好的"\n谢谢\\', "scriptScene": "售后"},
    ]


def test_a_missing_document_kind_is_refused_rather_than_sent_without_it() -> None:
    incomplete = {k: v for k, v in DOCUMENTS.items() if k != "operatorIdcard"}

    with pytest.raises(KeyError, match="operatorIdcard"):
        payload(documents=incomplete)


def test_encode_body_is_compact_utf8_with_chinese_unescaped() -> None:
    small = {
        "companyName": "火山",
        "scriptList": [{"scriptContent": "你好", "scriptScene": "快递"}],
    }

    expected = '{"companyName":"火山","scriptList":[{"scriptContent":"你好","scriptScene":"快递"}]}'
    assert encode_body(small) == expected.encode("utf-8")


def test_the_full_body_is_one_compact_json_document_in_api_order() -> None:
    data = payload()
    body = encode_body(data)

    text = body.decode("utf-8")  # strict: valid UTF-8
    assert "\\u" not in text
    assert "火山示例科技有限公司".encode() in body
    assert ", " not in text
    assert '": ' not in text
    assert not text.startswith(" ")
    assert "\n" not in text  # the newline inside a script is escaped, not raw
    assert json.loads(body) == data
    positions = [text.index(f'"{name}":') for name in API_FIELD_ORDER]
    assert positions == sorted(positions)
    # Escapes that JSON needs are still made; the URL's & and %2F are left alone.
    assert '\\"好的\\"\\n谢谢\\\\' in text
    assert "https://oss.example.com/n.png?a=1&b=%2F" in text
    assert encode_body(data) == body  # the same bytes every time


# --- the target ------------------------------------------------------------------------------


def test_the_production_endpoint_target() -> None:
    target = Target("https://cloud-vms.volcengineapi.com", "cn-beijing")

    assert target.host == "cloud-vms.volcengineapi.com"
    assert target.path == "/"
    assert target.url(ACTION) == (
        "https://cloud-vms.volcengineapi.com/?Action=Click2CallCompanyAuth&Version=2022-01-01"
    )


def test_a_sandbox_target_keeps_its_port_and_path() -> None:
    target = Target("http://127.0.0.1:8123/sandbox/vms/", "cn-north-1")

    assert target.host == "127.0.0.1:8123"
    assert target.path == "/sandbox/vms/"
    assert target.url(ACTION) == (
        "http://127.0.0.1:8123/sandbox/vms/?Action=Click2CallCompanyAuth&Version=2022-01-01"
    )


def test_signed_header_names_are_what_the_confirmation_page_lists() -> None:
    target = Target("https://cloud-vms.volcengineapi.com", "cn-beijing")

    names = client.signed_header_names(target, ACTION, encode_body(payload()))

    assert names == ["content-type", "host", "x-content-sha256", "x-date"]


# --- classification --------------------------------------------------------------------------

RID = "20260104113722010225133143062CC07B"


def envelope(*, error: dict[str, Any] | None = None, result: Any = ..., **metadata: Any) -> str:
    meta: dict[str, Any] = {
        "RequestId": RID,
        "Action": "Click2CallCompanyAuth",
        "Version": "2022-01-01",
        "Service": "vms",
        "Region": "cn-beijing",
        **metadata,
    }
    if error is not None:
        meta["Error"] = error
    document: dict[str, Any] = {"ResponseMetadata": meta}
    if result is not ...:
        document["Result"] = result
    return json.dumps(document, ensure_ascii=False)


def err(code: str, message: str = "m", code_n: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"Code": code, "Message": message}
    if code_n is not None:
        error["CodeN"] = code_n
    return error


def ok(code: Any = "0", message: str = "成功") -> dict[str, Any]:
    return {"code": code, "message": message, "requestId": "U12312312g"}


A, R, U = Outcome.ACCEPTED, Outcome.REJECTED, Outcome.UNKNOWN
CASES = [
    # (id, status, body, outcome, retryable)
    ("200 code 0", 200, envelope(result=ok("0")), A, False),
    ("200 code 200", 200, envelope(result=ok("200")), A, False),
    ("201 code 0", 201, envelope(result=ok("0")), A, False),
    ("200 code 1001", 200, envelope(result=ok("1001", "企业报备校验未通过")), R, False),
    ("200 code empty", 200, envelope(result=ok("")), R, False),
    ("200 Result null", 200, envelope(result=None), U, False),
    ("200 no Result", 200, envelope(), U, False),
    ("200 Result a list", 200, envelope(result=[ok()]), U, False),
    ("200 with Error", 200, envelope(error=err("InvalidParameter"), result=None), R, False),
    ("400 InvalidTimestamp", 400, envelope(error=err("InvalidTimestamp", code_n=100006)), R, True),
    ("403 InvalidTimestamp", 403, envelope(error=err("InvalidTimestamp", code_n=100006)), R, True),
    (
        "401 SignatureDoesNotMatch",
        401,
        envelope(error=err("SignatureDoesNotMatch", code_n=100010), result=None),
        R,
        True,
    ),
    ("401 InvalidAccessKey", 401, envelope(error=err("InvalidAccessKey", code_n=100009)), R, True),
    ("429 FlowLimitExceeded", 429, envelope(error=err("FlowLimitExceeded")), R, True),
    ("429 AccountFlowLimit", 429, envelope(error=err("AccountFlowLimitExceeded")), R, True),
    ("400 InvalidParameter", 400, envelope(error=err("InvalidParameter")), R, False),
    ("404 no Error", 404, envelope(), U, False),
    ("500 InternalError", 500, envelope(error=err("InternalError", code_n=100014)), U, False),
    ("500 with Result code 0", 500, envelope(result=ok("0")), U, False),
    ("502 FailToConnect", 502, envelope(error=err("FailToConnect", code_n=100015)), U, False),
    ("502 HTML", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", U, False),
    ("503 Temp", 503, envelope(error=err("ServiceUnavailableTemp")), U, False),
    (
        "504 InternalServiceTimeout",
        504,
        envelope(error=err("InternalServiceTimeout", code_n=100016)),
        U,
        False,
    ),
    ("200 invalid JSON", 200, '{"ResponseMetadata": ', U, False),
    ("200 JSON array", 200, "[1, 2]", U, False),
    ("200 JSON null", 200, "null", U, False),
    ("200 JSON string", 200, '"ok"', U, False),
    ("200 empty body", 200, "", U, False),
    ("200 metadata a string", 200, '{"ResponseMetadata": "x", "Result": {"code": "0"}}', U, False),
    ("302 redirect", 302, "", U, False),
]


@pytest.mark.parametrize(
    ("status", "body", "outcome", "retryable"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_classify_response_table(status: int, body: str, outcome: Outcome, retryable: bool) -> None:
    verdict = classify_response(status, body)

    assert (verdict.outcome, verdict.retryable) == (outcome, retryable)


def test_a_gateway_error_keeps_code_code_n_message_and_request_id() -> None:
    message = "The request signature we calculated does not match the signature you provided."
    body = envelope(error=err("SignatureDoesNotMatch", message, 100010))

    verdict = classify_response(401, body)

    assert verdict.outcome is Outcome.REJECTED
    assert verdict.provider_request_id == RID
    assert verdict.error_code == "SignatureDoesNotMatch"
    assert verdict.error_code_n == 100010
    assert verdict.error_message == message
    assert (verdict.result_code, verdict.result_message) == ("", "")


def test_an_error_without_code_n_has_none() -> None:
    verdict = classify_response(429, envelope(error=err("FlowLimitExceeded", "slow down")))

    assert verdict.error_code_n is None
    assert (verdict.error_code, verdict.error_message) == ("FlowLimitExceeded", "slow down")


def test_a_5xx_error_envelope_is_unknown_but_keeps_its_details() -> None:
    verdict = classify_response(504, envelope(error=err("InternalServiceTimeout", "late", 100016)))

    assert verdict.outcome is Outcome.UNKNOWN
    assert (verdict.error_code, verdict.error_code_n) == ("InternalServiceTimeout", 100016)
    assert verdict.error_message == "late"
    assert verdict.provider_request_id == RID


def test_success_keeps_result_code_message_and_request_id() -> None:
    verdict = classify_response(200, envelope(result=ok("0", "成功")))

    assert verdict.outcome is Outcome.ACCEPTED
    assert (verdict.result_code, verdict.result_message) == ("0", "成功")
    assert verdict.provider_request_id == RID
    assert verdict.result_request_id == "U12312312g"  # Result.requestId, kept for support
    assert verdict.error_code == ""


def test_a_business_failure_keeps_its_message_for_the_operator() -> None:
    verdict = classify_response(200, envelope(result=ok("1001", "营业执照信息与企业名称不一致")))

    assert verdict.outcome is Outcome.REJECTED
    assert verdict.result_code == "1001"
    assert verdict.result_message == "营业执照信息与企业名称不一致"


def test_a_body_that_is_not_the_envelope_yields_no_details() -> None:
    verdict = classify_response(200, "<html>maintenance</html>")

    assert verdict.outcome is Outcome.UNKNOWN
    assert verdict.provider_request_id == verdict.error_code == verdict.result_code == ""


def test_no_answer_is_not_sent_only_when_nothing_was_written() -> None:
    assert classify_no_answer(written=False) == Classification(Outcome.NOT_SENT, retryable=True)
    assert classify_no_answer(written=True) == Classification(Outcome.UNKNOWN, retryable=False)


# --- SendResult ------------------------------------------------------------------------------

STARTED = datetime(2026, 1, 4, 11, 37, 22, tzinfo=UTC)


def result(verdict: Classification | None = None, **fields: Any) -> SendResult:
    values: dict[str, Any] = {
        "classification": verdict or Classification(Outcome.ACCEPTED, retryable=False),
        "endpoint": "https://cloud-vms.volcengineapi.com",
        "region": "cn-beijing",
        "body": b'{"companyName":"BODY-MARKER"}',
        "request_headers": {"Authorization": "HMAC-SHA256 Credential=AK/x, Signature=***"},
        "request_sha256": "0" * 64,
        "started_at": STARTED,
        "finished_at": STARTED + timedelta(milliseconds=120),
        "duration_ms": 120,
    }
    values.update(fields)
    return SendResult(**values)


@pytest.mark.parametrize(
    ("verdict", "fields", "expected"),
    [
        (
            Classification(
                Outcome.ACCEPTED,
                retryable=False,
                provider_request_id=RID,
                result_code="0",
                result_message="成功",
            ),
            {"http_status": 200},
            f"ACCEPTED (HTTP 200) RequestId {RID}: code 0 成功",
        ),
        (
            Classification(
                Outcome.REJECTED,
                retryable=True,
                provider_request_id=RID,
                error_code="SignatureDoesNotMatch",
                error_code_n=100010,
                error_message="The signature does not match.",
            ),
            {"http_status": 401},
            f"REJECTED (HTTP 401) RequestId {RID}: SignatureDoesNotMatch The signature does not"
            " match.",
        ),
        (
            Classification(
                Outcome.REJECTED,
                retryable=False,
                provider_request_id=RID,
                result_code="1001",
                result_message="校验未通过",
            ),
            {"http_status": 200},
            f"REJECTED (HTTP 200) RequestId {RID}: code 1001 校验未通过",
        ),
        (
            Classification(Outcome.NOT_SENT, retryable=True),
            {"transport_error": "ConnectionError: connection refused"},
            "NOT_SENT (no HTTP response): ConnectionError: connection refused",
        ),
        (
            Classification(Outcome.UNKNOWN, retryable=False),
            {"transport_error": "ReadTimeout: read timed out"},
            "UNKNOWN (no HTTP response): ReadTimeout: read timed out",
        ),
        (
            Classification(Outcome.UNKNOWN, retryable=False),
            {"http_status": 502},
            "UNKNOWN (HTTP 502)",
        ),
    ],
    ids=["accepted", "gateway-error", "business-failure", "not-sent", "unknown-timeout", "bare"],
)
def test_summary(verdict: Classification, fields: dict[str, Any], expected: str) -> None:
    assert result(verdict, **fields).summary == expected


def test_the_body_is_kept_but_not_in_the_repr() -> None:
    sent = result()

    assert sent.body == b'{"companyName":"BODY-MARKER"}'
    assert "BODY-MARKER" not in repr(sent)
    assert "Signature=***" in repr(sent)


# --- the secret never leaks, even when signing fails -----------------------------------------


def test_an_unusable_secret_fails_before_sending_without_quoting_it() -> None:
    marker = "SECRET-MARKER-\udcff"  # a lone surrogate cannot be encoded as UTF-8

    with pytest.raises(ValueError, match="secret_access_key") as caught:
        send_action(
            ACTION,
            b"{}",
            # Port 9 on a reserved address: it must never get that far.
            target=Target("http://192.0.2.1:9/", "cn-beijing"),
            credentials=Credentials("AKLTtest", marker),
            connect_timeout=0.1,
            read_timeout=0.1,
            max_response_bytes=1024,
        )

    error: BaseException | None = caught.value
    while error is not None:  # the whole chain: message, repr and any wrapped cause
        assert "SECRET-MARKER" not in str(error)
        assert "SECRET-MARKER" not in repr(error)
        error = error.__cause__ or error.__context__


def test_credentials_do_not_show_the_secret() -> None:
    credentials = Credentials("AKLTtest", "SECRET-MARKER-1")

    assert "SECRET-MARKER" not in repr(credentials)
    assert "AKLTtest" in repr(credentials)
