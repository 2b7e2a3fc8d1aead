"""Verify a Volcengine V4-signed Click2CallCompanyAuth request: signature, Action/Version, body.

Pure: no Django, no network. Written from the spec, separately from the client's signer, so each
checks the other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

ALGORITHM = "HMAC-SHA256"
SERVICE = "vms"
ACTION = "Click2CallCompanyAuth"
VERSION = "2022-01-01"
WINDOW_SECONDS = 900
SCOPE_TERMINATOR = "request"
REQUIRED_SIGNED_HEADERS = ("host", "x-date")

# Click2CallCompanyAuth body fields, in the order of Volcengine's API page.
COMPANY_FIELDS = ("companyName", "companyCreditCode")
PICTURE_KINDS = (
    "businessLicense",
    "proprietorIdcard",
    "operatorIdcard",
    "operatorIdcardInhand",
    "networkaccessCommitmentletter",
    "numberapplicationOfficialletter",
)
PIC_URL_FIELDS = tuple(f"{kind}PicUrl" for kind in PICTURE_KINDS)
PIC_FILENAME_FIELDS = tuple(f"{kind}PicFilename" for kind in PICTURE_KINDS)
CALLEE_FIELDS = ("calleeSource", "businessCarrier")
SCRIPT_FIELDS = ("scriptContent", "scriptScene")
PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png")

X_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
# Exactly the shape the SDKs build (build_auth_header_v4): one space, then ", " between parts.
AUTHORIZATION_RE = re.compile(
    r"(?P<algorithm>\S+) Credential=(?P<credential>[^,\s]+), "
    r"SignedHeaders=(?P<signed_headers>[^,\s]+), Signature=(?P<signature>[^,\s]*)"
)
SIGNATURE_RE = re.compile(r"[0-9a-f]{64}")
SIGNED_HEADER_NAME_RE = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
SHORT_DATE_RE = re.compile(r"\d{8}")

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your Secret Access Key and signing method."
)


@dataclass(frozen=True)
class VerifyError:
    """A refusal, shaped like the gateway's ResponseMetadata.Error."""

    code: str
    code_n: int | None
    status: int
    message: str


@dataclass(frozen=True)
class Verified:
    """A request whose signature, Action/Version and body all passed."""

    access_key: str
    region: str
    action: str
    version: str
    body: Mapping[str, Any] = field(repr=False)


VerifyResult = Verified | VerifyError


@dataclass(frozen=True)
class AuthorizationParts:
    access_key: str
    short_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


# --- error constructors (code, CodeN and status as the gateway answers them) -----------------


def missing_authentication_token() -> VerifyError:
    return VerifyError(
        "MissingAuthenticationToken", 100003, 401, "The request is missing an Authorization header."
    )


def invalid_authorization(reason: str) -> VerifyError:
    return VerifyError("InvalidAuthorization", None, 400, f"Invalid Authorization header: {reason}")


def missing_signature() -> VerifyError:
    return VerifyError("MissingSignature", 100005, 401, "The request is missing Signature.")


def missing_request_info(what: str) -> VerifyError:
    return VerifyError(
        "MissingRequestInfo", 100004, 400, f"The request is missing {what} information."
    )


def invalid_timestamp(reason: str) -> VerifyError:
    return VerifyError(
        "InvalidTimestamp", 100006, 400, f"The Signature of the request is expired. {reason}"
    )


def service_not_found(service: str) -> VerifyError:
    return VerifyError("ServiceNotFound", 100007, 404, f"Could not find service {service!r}.")


def invalid_access_key(access_key: str) -> VerifyError:
    return VerifyError(
        "InvalidAccessKey",
        100009,
        401,
        f"The accesskey [{access_key}] included in the request is invalid.",
    )


def signature_does_not_match(detail: str = "") -> VerifyError:
    message = SIGNATURE_MISMATCH_MESSAGE + (f" {detail}" if detail else "")
    return VerifyError("SignatureDoesNotMatch", 100010, 401, message)


def missing_parameter(name: str) -> VerifyError:
    return VerifyError("MissingParameter", 100002, 400, f"The request is missing {name} parameter.")


def invalid_action_or_version(action: str, version: str) -> VerifyError:
    return VerifyError(
        "InvalidActionOrVersion",
        100008,
        404,
        f"Could not find operation {action} for version {version}.",
    )


def invalid_parameter(name: str, reason: str) -> VerifyError:
    return VerifyError("InvalidParameter", None, 400, f"The parameter {name} {reason}.")


# --- canonical forms ---------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def percent_encode(raw: bytes) -> str:
    """Keep A-Z a-z 0-9 - _ . ~ literal, every other byte as upper-case %XX."""
    return quote(raw, safe="-_.~")


def parse_query(query_string: str) -> list[tuple[bytes, bytes]]:
    """Decode the wire query like Go's url.ParseQuery: split on '&', '+' is a space."""
    pairs: list[tuple[bytes, bytes]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append(
            (unquote_to_bytes(name.replace("+", " ")), unquote_to_bytes(value.replace("+", " ")))
        )
    return pairs


def query_value(query_string: str, name: str) -> str | None:
    """The first value of one query parameter, decoded as UTF-8 (None if absent)."""
    wanted = name.encode()
    for key, value in parse_query(query_string):
        if key == wanted:
            return value.decode("utf-8", errors="replace")
    return None


def canonical_query(query_string: str) -> str:
    # A stable sort on the name alone keeps repeated names in request order (doc wording, Java).
    pairs = sorted(parse_query(query_string), key=lambda pair: pair[0])
    return "&".join(f"{percent_encode(name)}={percent_encode(value)}" for name, value in pairs)


def canonical_uri(path: str) -> str:
    """`path` is the decoded request path; each segment is encoded like a query value."""
    if not path:
        return "/"
    return "/".join(percent_encode(segment.encode("utf-8")) for segment in path.split("/"))


def canonical_request(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
) -> str:
    """`headers` must be keyed by lower-case name and hold every signed header."""
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query_string),
            canonical_headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def string_to_sign(x_date: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, x_date, scope, sha256_hex(canonical.encode("utf-8"))])


def signing_key(secret_key: str, short_date: str, region: str, service: str) -> bytes:
    """The raw secret starts the chain: no "AWS4" prefix, terminator "request"."""
    key = secret_key.encode("utf-8")
    for part in (short_date, region, service, SCOPE_TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


# --- the checks, in order -------------------------------------------------------------------


def parse_authorization(value: str) -> AuthorizationParts | VerifyError:
    if "Signature=" not in value and value.startswith(f"{ALGORITHM} Credential="):
        return missing_signature()
    match = AUTHORIZATION_RE.fullmatch(value)
    if match is None:
        return invalid_authorization(
            f"expected '{ALGORITHM} Credential=AK/date/region/service/request, "
            "SignedHeaders=..., Signature=...'"
        )
    if match["algorithm"] != ALGORITHM:
        return invalid_authorization(f"unsupported algorithm {match['algorithm']!r}")
    if not match["signature"]:
        return missing_signature()
    if not SIGNATURE_RE.fullmatch(match["signature"]):
        return invalid_authorization("Signature must be 64 lower-case hex digits")
    credential = match["credential"].split("/")
    if len(credential) != 5 or not all(credential):
        return invalid_authorization("Credential must be AK/date/region/service/request")
    access_key, short_date, region, service, terminator = credential
    if terminator != SCOPE_TERMINATOR or not SHORT_DATE_RE.fullmatch(short_date):
        return invalid_authorization("Credential must be AK/YYYYMMDD/region/service/request")
    names = tuple(match["signed_headers"].split(";"))
    if not all(SIGNED_HEADER_NAME_RE.fullmatch(name) for name in names):
        return invalid_authorization("SignedHeaders must be lower-case header names joined by ';'")
    if list(names) != sorted(set(names)):
        return invalid_authorization("SignedHeaders must be sorted and without repeats")
    for required in REQUIRED_SIGNED_HEADERS:
        if required not in names:
            return invalid_authorization(f"SignedHeaders must include {required}")
    return AuthorizationParts(access_key, short_date, region, service, names, match["signature"])


def parse_x_date(value: str) -> datetime | None:
    if not X_DATE_RE.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def scrub_secrets(error: VerifyError, secrets: Iterable[str]) -> VerifyError:
    """The same error with any configured secret key masked (e.g. one sent in the AK's place)."""
    message = error.message
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return error if message == error.message else replace(error, message=message)


def verify_signature(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now: datetime,
    regions: Collection[str],
    service: str = SERVICE,
    window_seconds: int = WINDOW_SECONDS,
) -> AuthorizationParts | VerifyError:
    """Check the V4 signature; `headers` is any mapping, matched case-insensitively."""
    result = _check_signature(
        method=method,
        path=path,
        query_string=query_string,
        headers=headers,
        body=body,
        credentials=credentials,
        now=now,
        regions=regions,
        service=service,
        window_seconds=window_seconds,
    )
    if isinstance(result, VerifyError):
        return scrub_secrets(result, credentials.values())
    return result


def _check_signature(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now: datetime,
    regions: Collection[str],
    service: str,
    window_seconds: int,
) -> AuthorizationParts | VerifyError:
    lower = {name.lower(): value for name, value in headers.items()}
    authorization = lower.get("authorization", "").strip()
    if not authorization:
        return missing_authentication_token()
    auth = parse_authorization(authorization)
    if isinstance(auth, VerifyError):
        return auth

    x_date = lower.get("x-date", "").strip()
    if not x_date:
        return missing_request_info("X-Date")
    signed_at = parse_x_date(x_date)
    if signed_at is None:
        return invalid_timestamp(f"X-Date {x_date!r} is not in the form YYYYMMDDTHHMMSSZ.")
    current = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    skew = (signed_at - current).total_seconds()
    if abs(skew) > window_seconds:
        direction = "in the future" if skew > 0 else "old"
        return invalid_timestamp(
            f"X-Date {x_date} is {abs(int(skew))} s {direction}; allowed: {window_seconds} s."
        )
    if auth.short_date != x_date[:8]:
        return signature_does_not_match(
            f"Credential date {auth.short_date} is not the X-Date day {x_date[:8]}."
        )

    if auth.service != service:
        return service_not_found(auth.service)
    secret_key = credentials.get(auth.access_key)
    if secret_key is None:
        return invalid_access_key(auth.access_key)
    if auth.region not in regions:
        return signature_does_not_match(f"Region {auth.region!r} is not accepted here.")

    payload_hash = sha256_hex(body)
    content_sha = lower.get("x-content-sha256")
    if content_sha is not None and content_sha.strip() != payload_hash:
        return signature_does_not_match("X-Content-Sha256 is not the SHA-256 of the body.")
    for name in auth.signed_headers:
        if name not in lower:
            return signature_does_not_match(f"Signed header {name} is not in the request.")

    canonical = canonical_request(
        method=method,
        path=path,
        query_string=query_string,
        headers=lower,
        signed_headers=auth.signed_headers,
        payload_hash=payload_hash,
    )
    scope = f"{auth.short_date}/{auth.region}/{auth.service}/{SCOPE_TERMINATOR}"
    key = signing_key(secret_key, auth.short_date, auth.region, auth.service)
    expected = hmac.new(
        key, string_to_sign(x_date, scope, canonical).encode("utf-8"), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, auth.signature):
        # The canonical request holds no secret and is what a signer author needs to compare.
        return signature_does_not_match(f"Canonical request: {canonical!r}")
    return auth


def check_action(query_string: str) -> tuple[str, str] | VerifyError:
    action = query_value(query_string, "Action")
    version = query_value(query_string, "Version")
    if not action:
        return missing_parameter("Action")
    if not version:
        return missing_parameter("Version")
    if action != ACTION or version != VERSION:
        return invalid_action_or_version(action, version)
    return action, version


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _check_text(body: Mapping[str, Any], name: str, label: str = "") -> VerifyError | None:
    shown = label or name
    if body.get(name) is None:
        return missing_parameter(shown)
    if _blank(body[name]):
        return invalid_parameter(shown, "must be a non-empty string")
    return None


def check_company_auth_body(body: bytes) -> Mapping[str, Any] | VerifyError:
    """The Click2CallCompanyAuth body: every field present and well-formed."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return invalid_parameter("body", "must be UTF-8 encoded JSON")
    except json.JSONDecodeError as exc:
        return invalid_parameter("body", f"is not valid JSON ({exc.msg} at position {exc.pos})")
    except RecursionError:
        return invalid_parameter("body", "is nested too deeply")
    if not isinstance(payload, dict):
        return invalid_parameter("body", "must be a JSON object")

    for name in COMPANY_FIELDS:
        if (error := _check_text(payload, name)) is not None:
            return error
    for url_field, filename_field in zip(PIC_URL_FIELDS, PIC_FILENAME_FIELDS, strict=True):
        if (error := _check_text(payload, url_field)) is not None:
            return error
        url = urlsplit(payload[url_field].strip())
        if url.scheme not in ("http", "https") or not url.netloc:
            return invalid_parameter(url_field, "must be an http(s) URL")
        if (error := _check_text(payload, filename_field)) is not None:
            return error
        filename = payload[filename_field].strip()
        stem, dot, _ = filename.rpartition(".")
        if not filename.lower().endswith(PICTURE_EXTENSIONS) or not stem or not dot:
            return invalid_parameter(filename_field, "must end with .jpg, .jpeg or .png")
    for name in CALLEE_FIELDS:
        if (error := _check_text(payload, name)) is not None:
            return error

    scripts = payload.get("scriptList")
    if scripts is None:
        return missing_parameter("scriptList")
    if not isinstance(scripts, list) or not scripts:
        return invalid_parameter("scriptList", "must be a non-empty list")
    for index, script in enumerate(scripts):
        if not isinstance(script, dict):
            return invalid_parameter(f"scriptList[{index}]", "must be an object")
        for name in SCRIPT_FIELDS:
            if (error := _check_text(script, name, f"scriptList[{index}].{name}")) is not None:
                return error
    return payload


def verify_request(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now: datetime,
    regions: Collection[str],
    service: str = SERVICE,
    window_seconds: int = WINDOW_SECONDS,
) -> VerifyResult:
    """Signature, then Action/Version, then the body: the first failure is the answer."""
    auth = verify_signature(
        method=method,
        path=path,
        query_string=query_string,
        headers=headers,
        body=body,
        credentials=credentials,
        now=now,
        regions=regions,
        service=service,
        window_seconds=window_seconds,
    )
    if isinstance(auth, VerifyError):
        return auth
    return verify_content(auth, query_string=query_string, body=body, secrets=credentials.values())


def verify_content(
    auth: AuthorizationParts, *, query_string: str, body: bytes, secrets: Iterable[str]
) -> VerifyResult:
    """Action/Version, then the body, of a request whose signature `auth` already verified."""
    action = check_action(query_string)
    if isinstance(action, VerifyError):
        return scrub_secrets(action, secrets)
    payload = check_company_auth_body(body)
    if isinstance(payload, VerifyError):
        return payload
    return Verified(auth.access_key, auth.region, action[0], action[1], payload)


def picture_kind(head: bytes) -> str | None:
    """Return "jpeg" or "png" from the first bytes of a file, else None."""
    if head.startswith(JPEG_MAGIC):
        return "jpeg"
    if head.startswith(PNG_MAGIC):
        return "png"
    return None


def peek_credit_code(body: bytes) -> str:
    """companyCreditCode of a JSON body if there is one, for the request log; never fails."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return ""
    code = payload.get("companyCreditCode") if isinstance(payload, dict) else None
    return code if isinstance(code, str) else ""
