"""Verify a Volcengine V4-signed filing request: signature, Action/Version, then the body.

Pure: no Django, no network; `now` is passed in. Written from Volcengine's description of V4
signing, separately from the client's signer, so each checks the other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from filings.sandbox.apis import APIS, api_for
from filings.sandbox.errors import (
    VerifyError,
    invalid_access_key,
    invalid_action_or_version,
    invalid_authorization,
    invalid_timestamp,
    missing_authentication_token,
    missing_parameter,
    missing_request_info,
    missing_signature,
    scrub_secrets,
    service_not_found,
    signature_does_not_match,
)

ALGORITHM = "HMAC-SHA256"
SERVICE = "vms"
WINDOW_SECONDS = 900
SCOPE_TERMINATOR = "request"
REQUIRED_SIGNED_HEADERS = ("host", "x-date")

X_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
# Exactly the shape the SDKs build (build_auth_header_v4): one space, then ", " between parts.
AUTHORIZATION_RE = re.compile(
    r"(?P<algorithm>\S+) Credential=(?P<credential>[^,\s]+), "
    r"SignedHeaders=(?P<signed_headers>[^,\s]+), Signature=(?P<signature>[^,\s]*)"
)
SIGNATURE_RE = re.compile(r"[0-9a-f]{64}")
SIGNED_HEADER_NAME_RE = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
SHORT_DATE_RE = re.compile(r"\d{8}")


@dataclass(frozen=True)
class RequestParts:
    """What the verifier reads of an HTTP request.

    `path` is the decoded path, `query_string` the query as it came on the wire; `headers` is any
    mapping, its names matched case-insensitively.
    """

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)

    @property
    def lower_headers(self) -> dict[str, str]:
        """The headers keyed by lower-case name."""
        return {name.lower(): value for name, value in self.headers.items()}


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
    request: RequestParts, *, signed_headers: tuple[str, ...], payload_hash: str
) -> str:
    """`request` must hold every header named in `signed_headers` (lower-case names)."""
    headers = request.lower_headers
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.path),
            canonical_query(request.query_string),
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


def verify_signature(
    request: RequestParts,
    *,
    credentials: Mapping[str, str],
    now: datetime,
    regions: Collection[str],
    service: str = SERVICE,
    window_seconds: int = WINDOW_SECONDS,
) -> AuthorizationParts | VerifyError:
    """Check the V4 signature of `request`; `credentials` maps access keys to secret keys."""
    result = _check_signature(request, credentials, now, regions, service, window_seconds)
    if isinstance(result, VerifyError):
        return scrub_secrets(result, credentials.values())
    return result


def _check_signature(
    request: RequestParts,
    credentials: Mapping[str, str],
    now: datetime,
    regions: Collection[str],
    service: str,
    window_seconds: int,
) -> AuthorizationParts | VerifyError:
    lower = request.lower_headers
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

    payload_hash = sha256_hex(request.body)
    content_sha = lower.get("x-content-sha256")
    if content_sha is not None and content_sha.strip() != payload_hash:
        return signature_does_not_match("X-Content-Sha256 is not the SHA-256 of the body.")
    for name in auth.signed_headers:
        if name not in lower:
            return signature_does_not_match(f"Signed header {name} is not in the request.")

    canonical = canonical_request(
        request, signed_headers=auth.signed_headers, payload_hash=payload_hash
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
    if api_for(action, version) is None:
        return invalid_action_or_version(action, version)
    return action, version


def verify_request(
    request: RequestParts,
    *,
    credentials: Mapping[str, str],
    now: datetime,
    regions: Collection[str],
    service: str = SERVICE,
    window_seconds: int = WINDOW_SECONDS,
) -> VerifyResult:
    """Signature, then Action/Version, then the body: the first failure is the answer."""
    auth = verify_signature(
        request,
        credentials=credentials,
        now=now,
        regions=regions,
        service=service,
        window_seconds=window_seconds,
    )
    if isinstance(auth, VerifyError):
        return auth
    return verify_content(auth, request, secrets=credentials.values())


def verify_content(
    auth: AuthorizationParts, request: RequestParts, *, secrets: Iterable[str]
) -> VerifyResult:
    """Action/Version, then the body, of a request whose signature `auth` already verified."""
    checked = check_action(request.query_string)
    if isinstance(checked, VerifyError):
        return scrub_secrets(checked, secrets)
    action, version = checked
    payload = APIS[action].check_body(request.body)  # check_action knows the Action
    if isinstance(payload, VerifyError):
        return payload
    return Verified(auth.access_key, auth.region, action, version, payload)
