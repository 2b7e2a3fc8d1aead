"""Volcengine V4 (HMAC-SHA256) request signer. Pure: no Django, no HTTP library, no clock."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from urllib.parse import quote

ALGORITHM = "HMAC-SHA256"
SCOPE_TERMINATOR = "request"

# Headers sign() sets itself; a caller passing one would end up sending two values.
_SET_BY_SIGNER = frozenset({"x-date", "x-content-sha256", "x-security-token", "authorization"})
_DEFAULT_PORTS = (":80", ":443")
# Strings made only of unreserved characters need no percent-encoding (the common case).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
_SIGNATURE_VALUE = re.compile(r"(Signature=)[^,\s]*")
_sha256 = hashlib.sha256  # bound once: the HMAC below calls it eleven times per signature
_SHA256_BLOCK = 64
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignedRequest:
    """The result of sign(): `headers` are the ones to add to the request as sent."""

    # Hidden from repr: they carry the signature and, with STS, the session token.
    headers: dict[str, str] = field(repr=False)
    canonical_request: str = field(repr=False)
    string_to_sign: str
    signature: str = field(repr=False)
    signed_headers: str
    credential_scope: str


def _encode(text: str) -> str:
    # With safe="", quote() leaves exactly A-Za-z0-9-_.~ alone, uses upper-case hex and UTF-8.
    return quote(text, safe="")


def canonical_query(pairs: Sequence[tuple[str, str]]) -> str:
    """Percent-encode and sort query pairs by (unencoded) name; repeated names keep their order."""
    ordered = sorted(pairs, key=itemgetter(0))  # sorted() is stable
    # Fast path for the usual all-unreserved query (Action=...&Version=...): one regex, no quote().
    if _UNRESERVED.fullmatch("".join([name + value for name, value in ordered])):
        return "&".join([f"{name}={value}" for name, value in ordered])
    return "&".join([f"{_encode(name)}={_encode(value)}" for name, value in ordered])


def _canonical_uri(path: str) -> str:
    if path in ("", "/"):
        return "/"
    return quote(path, safe="/")


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Canonicalise exactly the given headers: return (header block, signed header names).

    Names are lower-cased and sorted, values trimmed (inner whitespace kept); a `:80`/`:443`
    suffix is dropped from the host value.
    """
    lowered = {name.lower(): value.strip(" \t") for name, value in headers.items()}
    if len(lowered) != len(headers):
        raise ValueError(f"a header is given twice (names are case-insensitive): {list(headers)}")
    host = lowered.get("host")
    if host is not None and host.endswith(_DEFAULT_PORTS):
        lowered["host"] = host.rpartition(":")[0]
    names = sorted(lowered)
    return "".join([f"{name}:{lowered[name]}\n" for name in names]), ";".join(names)


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    """RFC 2104 HMAC-SHA256 built on hashlib.sha256, as the stdlib's own hmac fallback does.

    hmac.digest() pays an OpenSSL 3 HMAC set-up on every call that costs more than hashing the
    short messages of a V4 signature; this is about 1.6x faster, and tested against hmac.digest().
    """
    if len(key) > _SHA256_BLOCK:
        key = _sha256(key).digest()
    key = key.ljust(_SHA256_BLOCK, b"\0")
    inner = _sha256(key.translate(_INNER_PAD) + message).digest()
    return _sha256(key.translate(_OUTER_PAD) + inner).digest()


def signing_key(secret: str, short_date: str, region: str, service: str) -> bytes:
    """kSigning: the raw secret (no "AWS4" prefix) chained over date, region, service, request."""
    try:
        key = secret.encode()
    except UnicodeEncodeError:
        # The exception object holds the whole secret: raise a fresh one, outside this block.
        key = b""
    if not key:
        raise ValueError("secret_access_key must be a non-empty UTF-8 string")
    key = _hmac_sha256(key, short_date.encode())
    key = _hmac_sha256(key, region.encode())
    key = _hmac_sha256(key, service.encode())
    return _hmac_sha256(key, b"request")


def _x_date(now: datetime) -> str:
    tz = now.tzinfo
    if tz is not UTC:
        if tz is None or now.utcoffset() is None:
            raise ValueError("now must be a timezone-aware datetime")
        now = now.astimezone(UTC)
    # %-formatting the fields is 4x faster than strftime and 2x faster than an f-string.
    return "%04d%02d%02dT%02d%02d%02dZ" % (  # noqa: UP031
        now.year,
        now.month,
        now.day,
        now.hour,
        now.minute,
        now.second,
    )


def sign(
    *,
    method: str,
    host: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
    sign_content_type: bool = True,
) -> SignedRequest:
    """Sign one request in header mode.

    `host` is the Host header as sent (it is always signed); `headers` are the other request
    headers, of which Content-Type (if `sign_content_type`), Content-MD5 and every X-* header are
    signed. `body` must be the exact bytes sent. Nothing passed in is modified.
    """
    x_date = _x_date(now)
    short_date = x_date[:8]
    payload_hash = hashlib.sha256(body).hexdigest()

    to_sign = {"host": host}
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SET_BY_SIGNER or lower == "host":
            raise ValueError(f"headers must not contain {name!r}: sign() sets it")
        if (
            lower.startswith("x-")
            or lower == "content-md5"
            or (lower == "content-type" and sign_content_type)
        ):
            to_sign[name] = value
    to_sign["x-date"] = x_date
    to_sign["x-content-sha256"] = payload_hash
    added = {"X-Date": x_date, "X-Content-Sha256": payload_hash}
    token = credentials.session_token
    if token is not None:
        to_sign["x-security-token"] = token
        added["X-Security-Token"] = token
    header_block, signed_headers = canonical_headers(to_sign)

    canonical_request = (
        f"{method.upper()}\n{_canonical_uri(path)}\n{canonical_query(query)}\n"
        f"{header_block}\n{signed_headers}\n{payload_hash}"
    )
    credential_scope = f"{short_date}/{region}/{service}/{SCOPE_TERMINATOR}"
    string_to_sign = (
        f"{ALGORITHM}\n{x_date}\n{credential_scope}\n"
        f"{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )
    key = signing_key(credentials.secret_access_key, short_date, region, service)
    signature = _hmac_sha256(key, string_to_sign.encode()).hex()
    added["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{credential_scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return SignedRequest(
        headers=added,
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
        signature=signature,
        signed_headers=signed_headers,
        credential_scope=credential_scope,
    )


def redact_authorization(value: str) -> str:
    """Replace the Signature value of an Authorization header with `***`, for logs and records."""
    return _SIGNATURE_VALUE.sub(r"\1***", value)
