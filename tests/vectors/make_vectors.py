"""Write tests/vectors/volc_v4.json: known-answer vectors for filings/volc/signing.py, computed by
the official Volcengine Python SDK (PyPI `volcengine`, `volcengine.auth.SignerV4`).

Rerun it from the repository root with a throwaway venv outside the repo (the test suite itself
never needs the SDK; the output is deterministic, so a rerun must leave the JSON unchanged):

    python3.11 -m venv /tmp/sdkvenv
    /tmp/sdkvenv/bin/pip install volcengine==1.0.229 redo==3.0.1
    /tmp/sdkvenv/bin/python tests/vectors/make_vectors.py

Each case is signed with `SignerV4.sign_only` (the SDK's frozen-clock entry point; it shares
`hashed_canonical_request_v4`, `Util.norm_query` and `get_signing_secret_key_v4` with
`SignerV4.sign`). The canonical request and string to sign are the SDK's own strings, captured
as they pass through `Util.sha256` / `Util.hmac_sha256`. Where `SignerV4.sign` would not add
headers of its own (GET, or Content-Type given), it is run too with its clock patched, and must
give the same Authorization header.

All keys, tokens and bodies are fabricated.

Where the SDK differs from Volcengine's published signing rules (we follow the rules, and no
vector is made for these corners; tests/unit/test_signing.py covers them without the SDK):

* Header values are not trimmed (doc: trimmed; Java trims). No case has padded values.
* Which headers are signed is decided case-sensitively: only names spelled exactly
  `Content-Type`, `Content-Md5`, `Host`, or starting with `X-`. The doc compares lower-cased
  names, so `content-md5` / `x-foo` are signed by us and not by the SDK. Cases use SDK spelling.
* `SignerV4.sign` inserts `Content-Type: application/x-www-form-urlencoded; charset=utf-8` on a
  non-GET request without one, and so signs it; our signer never adds a Content-Type. The doc
  style (Content-Type sent but not signed) is made by leaving Content-Type out of what the SDK
  sees (`sign_only` does not insert it).
* `sign_only` signs `host` only if the caller passes a Host header; we always sign it (as
  `SignerV4.sign` via `Service.prepare_request`, and Java, do). Every case passes Host.
* The default-port rule splits the Host value on every `:` (an IPv6 literal breaks it); we
  only drop a trailing `:80` / `:443`. No IPv6 case.
* The HTTP method is used as given; we upper-case it. Cases use upper case.
* The query is a dict of name -> value or list of values, so repeated names are grouped under
  their name in request order: the same result as the doc's stable sort by name. Both the SDK
  and Java sort by the unencoded name; the doc only says "by parameter name". We follow the
  SDKs (case `query_sort_by_unencoded_name` pins it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from volcengine.auth.SignerV4 import SignerV4
from volcengine.auth.SignParam import SignParam
from volcengine.base.Request import Request
from volcengine.Credentials import Credentials
from volcengine.util.Util import Util

OUT = Path(__file__).with_name("volc_v4.json")
SDK = f"volcengine {version('volcengine')} SignerV4.sign_only"

HOST = "cloud-vms.volcengineapi.com"
X_DATE = "20260104T113722Z"
AK = "AKLTFAKE-test-only-access-key-0001"
SK = "FAKE/test-only+SecretKey==NotReal0123456789abcdef"
STS_TOKEN = "STSFAKE.test-only-session-token/NotReal+0123456789=="
VMS_QUERY = [("Action", "Click2CallCompanyAuth"), ("Version", "2022-01-01")]
JSON_UTF8 = "application/json; charset=UTF-8"

# Click2CallCompanyAuth body: fields in the order of the API page (seed/), Chinese text.
COMPANY_AUTH: dict[str, Any] = {
    "companyName": "火山引擎测试有限公司",
    "companyCreditCode": "91350100M000100Y43",
    "businessLicensePicUrl": "https://files.example.test/filings/a1/business-licence.jpg",
    "businessLicensePicFilename": "营业执照.jpg",
    "proprietorIdcardPicUrl": "https://files.example.test/filings/a1/proprietor-idcard.png",
    "proprietorIdcardPicFilename": "法人身份证.png",
    "operatorIdcardPicUrl": "https://files.example.test/filings/a1/operator-idcard.jpg",
    "operatorIdcardPicFilename": "管理员证件.jpg",
    "operatorIdcardInhandPicUrl": "https://files.example.test/filings/a1/operator-inhand.jpeg",
    "operatorIdcardInhandPicFilename": "管理员手持证件.jpeg",
    "networkaccessCommitmentletterPicUrl": "https://files.example.test/filings/a1/commit.png",
    "networkaccessCommitmentletterPicFilename": "入网承诺书.png",
    "numberapplicationOfficialletterPicUrl": "https://files.example.test/filings/a1/letter.jpg",
    "numberapplicationOfficialletterPicFilename": "号码申请公函.jpg",
    "calleeSource": "网站",
    "businessCarrier": "火山引擎测试有限公司",
    "scriptList": [
        {"scriptContent": "你好，我是火山快递的客服，您的包裹已到驿站。", "scriptScene": "快递"},
        {"scriptContent": "您好，您预约的维修师傅将于明天上午上门。", "scriptScene": "售后服务"},
    ],
}
COMPANY_AUTH_BODY = json.dumps(COMPANY_AUTH, ensure_ascii=False, separators=(",", ":")).encode()
COMPANY_AUTH_ASCII = json.dumps(COMPANY_AUTH, ensure_ascii=True, separators=(",", ":")).encode()
# Click2CallNumberAuth add: what filings.volc.payload.number_auth_payload builds (the same keys
# in the same order; tests/unit/test_signing.py checks it), written out so that this script
# needs only the SDK.
NUMBER_AUTH_QUERY = [("Action", "Click2CallNumberAuth"), ("Version", "2022-01-01")]
NUMBER_AUTH_ADD: dict[str, Any] = {
    "companyName": "火山引擎测试有限公司",
    "companyCreditCode": "91350100M000100Y43",
    "action": "add",
    "aNumbers": "13800000001,13800000002,057188880001",
    "businessUsageCommitmentletterPicUrl": "https://files.example.test/filings/n1/usage-letter.jpg",
    "businessUsageCommitmentletterPicFilename": "业务使用承诺书.jpg",
    "script": "您好，这里是火山商城客服，您购买的商品已发货，请注意查收。",
    "scriptScene": "电商",
}
NUMBER_AUTH_ADD_BODY = json.dumps(
    NUMBER_AUTH_ADD, ensure_ascii=False, separators=(",", ":")
).encode()
BODY_MD5 = base64.b64encode(hashlib.md5(COMPANY_AUTH_BODY, usedforsecurity=False).digest()).decode()
LITE_FORM = urlencode(
    {
        "Caller": "13800000000",
        "Callee": "13900000000",
        "NumberPoolNo": "NP1234567890",
        "UserData": "测试 data",
    }
)


def case(name: str, description: str, **overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "name": name,
        "description": description,
        "method": "POST",
        "host": HOST,
        "path": "/",
        "query": VMS_QUERY,
        "headers": {"Content-Type": JSON_UTF8},
        "sign_content_type": True,
        "body": COMPANY_AUTH_BODY,
        "access_key_id": AK,
        "secret_access_key": SK,
        "session_token": None,
        "region": "cn-beijing",
        "service": "vms",
        "x_date": X_DATE,
    }
    inputs.update(overrides)
    return inputs


CASES = [
    case(
        "seed_company_auth",
        "Click2CallCompanyAuth, UTF-8 JSON (ensure_ascii=False, compact), doc-style signed "
        "headers: Content-Type sent but not signed.",
        sign_content_type=False,
    ),
    case(
        "company_auth_content_type_signed",
        "Same request, SDK-style: Content-Type signed.",
    ),
    case(
        "company_auth_ascii_escaped_json",
        "Same fields serialised with ensure_ascii=True: other bytes, other payload hash.",
        body=COMPANY_AUTH_ASCII,
        sign_content_type=False,
    ),
    case(
        "company_auth_cn_north_1",
        "Region cn-north-1 (the SDKs' hard-coded VMS region) in the credential scope.",
        region="cn-north-1",
        headers={"Content-Type": "application/json"},
    ),
    case(
        "session_token",
        "STS credentials: X-Security-Token is added and signed.",
        session_token=STS_TOKEN,
        sign_content_type=False,
    ),
    case(
        "host_with_default_port",
        "Host given as host:443: the port is dropped before signing.",
        host=HOST + ":443",
        sign_content_type=False,
    ),
    case(
        "host_with_port_80",
        "Host given as host:80: the port is dropped before signing.",
        host=HOST + ":80",
    ),
    case(
        "local_fake_server_port",
        "A non-default port (a local stand-in server) stays in the signed host.",
        host="127.0.0.1:8765",
        sign_content_type=False,
    ),
    case(
        "get_query_percent_encoding",
        "GET, empty body, no Content-Type; query needing every kind of encoding: space, '/', "
        "'~', '*', '+', '=', '&', quotes and brackets, Chinese, an empty value, a repeated name "
        "with another name in between, upper- and lower-case names.",
        method="GET",
        headers={},
        body=b"",
        query=[
            ("Version", "2022-01-01"),
            ("Action", "ListThings"),
            ("Name", "a b/c~d*e"),
            ("a", "1"),
            ("Expr", "x+y=z&w !'()"),
            ("Label", "火山"),
            ("Empty", ""),
            ("b", "B"),
            ("Z", "-_.~"),
            ("a", "0"),
        ],
    ),
    case(
        "query_repeated_names",
        "Repeated names keep their request order (not sorted by value); Tag sorts before tag.",
        query=[
            ("Tag", "zeta"),
            ("tag", "lower"),
            ("Action", "Click2CallCompanyAuth"),
            ("Tag", "alpha"),
            ("Version", "2022-01-01"),
            ("Tag", "mid dle"),
        ],
    ),
    case(
        "query_sort_by_unencoded_name",
        "Names are sorted before encoding ('a b' < 'a.b' < 'a/b' < '火'); sorting the "
        "encoded names would give another order.",
        method="GET",
        headers={},
        body=b"",
        query=[("火", "1"), ("a/b", "2"), ("a.b", "3"), ("a b", "4"), ("Action", "Get")],
    ),
    case(
        "empty_body_post",
        "POST with an empty body and a signed Content-Type.",
        body=b"",
    ),
    case(
        "extra_headers",
        "Content-Md5 and X-* are signed; Accept, User-Agent and Content-Length are not.",
        headers={
            "Content-Type": JSON_UTF8,
            "Content-Md5": BODY_MD5,
            "X-Request-Id": "req-0001",
            "Accept": "application/json",
            "User-Agent": "vms-filing-portal/0.1",
            "Content-Length": str(len(COMPANY_AUTH_BODY)),
        },
    ),
    case(
        "path_encoding",
        "A non-root path: each segment encoded like a query value, '/' kept.",
        method="GET",
        headers={},
        body=b"",
        path="/api/v1/a b/c~d*e/火山",
        query=[],
    ),
    case(
        "form_body_click2call_lite",
        "Form-encoded body (the older VMS APIs), Content-Type signed.",
        query=[("Action", "Click2CallLite"), ("Version", "2022-01-01")],
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=LITE_FORM.encode(),
    ),
    case(
        "number_auth_add",
        "Click2CallNumberAuth add: three A-numbers, the business-usage letter, a Chinese script; "
        "UTF-8 JSON, Content-Type signed.",
        query=NUMBER_AUTH_QUERY,
        body=NUMBER_AUTH_ADD_BODY,
    ),
    case(
        "binary_body",
        "A body that is not UTF-8 text (stored as base64).",
        headers={"Content-Type": "application/octet-stream"},
        body=bytes(range(256)) + b"\x89PNG\r\n\x1a\n\x00\xff",
    ),
]


class Capture:
    def __init__(self) -> None:
        self.sha256_text: list[str] = []
        self.hmac_text: list[str] = []


@contextmanager
def capture() -> Iterator[Capture]:
    """Record the strings the SDK hashes: its canonical request and its string to sign."""
    seen = Capture()
    sha256, hmac_sha256 = Util.sha256, Util.hmac_sha256

    def spy_sha256(content: str | bytes) -> str:
        if isinstance(content, str):
            seen.sha256_text.append(content)
        return sha256(content)

    def spy_hmac(key: bytes, content: str) -> bytes:
        seen.hmac_text.append(content)
        return hmac_sha256(key, content)

    Util.sha256, Util.hmac_sha256 = staticmethod(spy_sha256), staticmethod(spy_hmac)
    try:
        yield seen
    finally:
        Util.sha256, Util.hmac_sha256 = staticmethod(sha256), staticmethod(hmac_sha256)


def sdk_headers(c: dict[str, Any]) -> OrderedDict[str, str]:
    headers: OrderedDict[str, str] = OrderedDict(Host=c["host"])
    for name, value in c["headers"].items():
        if name != "Content-Type" or c["sign_content_type"]:
            headers[name] = value
    return headers


def sdk_query(pairs: list[tuple[str, str]]) -> OrderedDict[str, str | list[str]]:
    grouped: OrderedDict[str, list[str]] = OrderedDict()
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return OrderedDict((k, v[0] if len(v) == 1 else v) for k, v in grouped.items())


def sdk_credentials(c: dict[str, Any]) -> Credentials:
    return Credentials(
        c["access_key_id"],
        c["secret_access_key"],
        c["service"],
        c["region"],
        c["session_token"] or "",
    )


def sign_with_sign_only(c: dict[str, Any]) -> tuple[Any, Capture]:
    param = SignParam()
    param.set_method(c["method"])
    param.set_host(c["host"])
    param.set_path(c["path"])
    param.set_query(sdk_query(c["query"]))
    param.set_header_list(sdk_headers(c))
    param.set_body(c["body"])
    param.set_date(datetime.strptime(c["x_date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
    with capture() as seen:
        result = SignerV4.sign_only(param, sdk_credentials(c))
    return result, seen


def authorization_from_sign(c: dict[str, Any]) -> str:
    request = Request()
    request.set_method(c["method"])
    request.set_host(c["host"])
    request.set_path(c["path"])
    request.set_query(sdk_query(c["query"]))
    request.set_headers(sdk_headers(c))
    request.set_body(c["body"])
    clock: Callable[[], str] = SignerV4.get_current_format_date
    SignerV4.get_current_format_date = staticmethod(lambda: c["x_date"])
    try:
        SignerV4.sign(request, sdk_credentials(c))
    finally:
        SignerV4.get_current_format_date = staticmethod(clock)
    return str(request.headers["Authorization"])


def vector(c: dict[str, Any]) -> dict[str, Any]:
    result, seen = sign_with_sign_only(c)
    canonical_request, string_to_sign = seen.sha256_text[-1], seen.hmac_text[-1]
    # The captured strings must be the ones the signature was computed from.
    hashed = hashlib.sha256(canonical_request.encode()).hexdigest()
    assert string_to_sign.endswith("\n" + hashed), c["name"]
    key = SignerV4.get_signing_secret_key_v4(
        c["secret_access_key"], c["x_date"][:8], c["region"], c["service"]
    )
    assert hmac.new(key, string_to_sign.encode(), "sha256").hexdigest() == result.xSignature
    if c["method"] == "GET" or "Content-Type" in sdk_headers(c):
        assert authorization_from_sign(c) == result.authorization, c["name"]

    out = {k: v for k, v in c.items() if k != "body"}
    out["query"] = [list(pair) for pair in c["query"]]
    body: bytes = c["body"]
    try:
        out["body_text"] = body.decode("utf-8")
    except UnicodeDecodeError:
        out["body_base64"] = base64.b64encode(body).decode("ascii")
    out["source"] = SDK
    out["expected"] = {
        "x_content_sha256": result.xContextSha256,
        "signed_headers": result.xSignedHeaders,
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
        "signature": result.xSignature,
        "authorization": result.authorization,
    }
    return out


def main() -> None:
    vectors = [vector(c) for c in CASES]
    OUT.write_text(json.dumps(vectors, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUT} with {SDK}")


if __name__ == "__main__":
    main()
