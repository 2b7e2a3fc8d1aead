"""Fetching a verified request's pictures, as Volcengine does, but only from the portal itself.

Only URLs on the portal's base (PORTAL_PUBLIC_BASE_URL) or the configured S3 endpoint
(AWS_S3_ENDPOINT_URL) are fetched, compared by scheme, host and port; any other URL is refused
without a connection. Redirects are not followed, and at most PORTAL_MAX_UPLOAD_BYTES are read.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from urllib.parse import urlsplit

import requests
from django.conf import settings

from filings.sandbox.apis import APIS
from filings.sandbox.body_rules import picture_kind
from filings.sandbox.errors import VerifyError, invalid_parameter
from filings.sandbox.verify import Verified

FETCH_TIMEOUT_SECONDS = 5.0
CHUNK_BYTES = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
NOT_OURS = "is not an address of the portal or its object storage, so it was not fetched"

Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL; None for any other URL or one with user info."""
    if any(char.isspace() or not char.isprintable() for char in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or any(c in parts.netloc for c in "@\\"):
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def allowed_origins() -> set[Origin]:
    bases = (settings.PORTAL_PUBLIC_BASE_URL, settings.AWS_S3_ENDPOINT_URL)
    return {origin for base in bases if base and (origin := origin_of(base)) is not None}


def fetch_problem(url: str, *, allowed: Collection[Origin], max_bytes: int) -> str | None:
    """Why a picture URL is unusable (Volcengine must be able to fetch it), or None."""
    if origin_of(url) not in allowed:
        return NOT_OURS
    deadline = time.monotonic() + FETCH_TIMEOUT_SECONDS
    received = bytearray()
    try:
        with requests.get(
            url, timeout=FETCH_TIMEOUT_SECONDS, stream=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                return f"could not be fetched (HTTP {response.status_code})"
            for chunk in response.iter_content(CHUNK_BYTES):
                received += chunk
                if len(received) > max_bytes:
                    return f"is larger than {max_bytes} bytes"
                if time.monotonic() > deadline:
                    return "could not be fetched (too slow)"
    except requests.RequestException as exc:
        return f"could not be fetched ({type(exc).__name__})"
    if picture_kind(bytes(received[:16])) is None:
        return "is not a JPEG or PNG image"
    return None


def check_pictures(verified: Verified) -> VerifyError | None:
    """Fetch each picture the verified body points at; the first unusable one is the answer."""
    allowed = allowed_origins()
    for name in APIS[verified.action].picture_url_fields:
        if name not in verified.body:  # e.g. a number delete: no letter
            continue
        problem = fetch_problem(
            verified.body[name].strip(),
            allowed=allowed,
            max_bytes=settings.PORTAL_MAX_UPLOAD_BYTES,
        )
        if problem is not None:
            return invalid_parameter(name, problem)
    return None
