"""Volcengine settings: read, validate (for `manage.py check` and pre-flight) and hand out."""

import math
import re
from urllib.parse import urlsplit

from django.conf import settings

from filings.volc.signing import Credentials

REGION_PATTERN = re.compile(r"^[a-z]{2}-[a-z]+(-\d+)?$")
KEY_PATTERN = re.compile(r"^[\x21-\x7e]+$")
SENDING_DISABLED = "Sending to Volcengine is disabled until this is fixed."


def credentials_problems() -> list[str]:
    """Every missing or malformed Volcengine setting, each as one sentence (never the secret)."""
    problems = []
    if not settings.VOLC_ACCESSKEY:
        problems.append("VOLC_ACCESSKEY is not set")
    elif not KEY_PATTERN.match(settings.VOLC_ACCESSKEY):
        problems.append("VOLC_ACCESSKEY contains spaces or non-ASCII characters")
    if not settings.VOLC_SECRETKEY:
        problems.append("VOLC_SECRETKEY is not set")
    elif not KEY_PATTERN.match(settings.VOLC_SECRETKEY):
        problems.append("VOLC_SECRETKEY contains spaces or non-ASCII characters")
    endpoint = urlsplit(settings.VOLC_VMS_ENDPOINT)
    if endpoint.scheme not in {"http", "https"} or not endpoint.hostname:
        problems.append(
            f"VOLC_VMS_ENDPOINT must be an http(s) URL, not {settings.VOLC_VMS_ENDPOINT!r}"
        )
    if not REGION_PATTERN.match(settings.VOLC_REGION):
        problems.append(f"VOLC_REGION must look like cn-beijing, not {settings.VOLC_REGION!r}")
    for name in ("VOLC_CONNECT_TIMEOUT", "VOLC_READ_TIMEOUT"):
        if not 0 < getattr(settings, name) < math.inf:  # NaN and inf make requests raise
            problems.append(f"{name} must be a positive number of seconds")
    if settings.VOLC_RESPONSE_MAX_BYTES <= 0:  # else every answer counts as truncated: UNKNOWN
        problems.append("VOLC_RESPONSE_MAX_BYTES must be a positive number of bytes")
    return problems


def credentials() -> Credentials:
    return Credentials(
        access_key_id=settings.VOLC_ACCESSKEY, secret_access_key=settings.VOLC_SECRETKEY
    )
