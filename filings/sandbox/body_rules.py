"""The Click2CallCompanyAuth body as the gateway checks it. Pure: no Django, no network."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from filings.sandbox.errors import VerifyError, invalid_parameter, missing_parameter

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

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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
