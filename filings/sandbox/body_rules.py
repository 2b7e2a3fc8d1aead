"""Field rules the gateway applies to every filing body. Pure: no Django, no network."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from filings.sandbox.errors import VerifyError, invalid_parameter, missing_parameter

PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png")

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def parse_json_object(body: bytes) -> dict[str, Any] | VerifyError:
    """The body as a JSON object, or why it is not one."""
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
    return payload


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def check_text(body: Mapping[str, Any], name: str, label: str = "") -> VerifyError | None:
    """`name` is present and a non-empty string; errors name it as `label` if one is given."""
    shown = label or name
    if body.get(name) is None:
        return missing_parameter(shown)
    if _blank(body[name]):
        return invalid_parameter(shown, "must be a non-empty string")
    return None


def check_picture(body: Mapping[str, Any], kind: str) -> VerifyError | None:
    """`{kind}PicUrl` is an http(s) URL and `{kind}PicFilename` names a JPEG or PNG file."""
    url_field, filename_field = f"{kind}PicUrl", f"{kind}PicFilename"
    if (error := check_text(body, url_field)) is not None:
        return error
    url = urlsplit(body[url_field].strip())
    if url.scheme not in ("http", "https") or not url.netloc:
        return invalid_parameter(url_field, "must be an http(s) URL")
    if (error := check_text(body, filename_field)) is not None:
        return error
    filename = body[filename_field].strip()
    stem, dot, _ = filename.rpartition(".")
    if not filename.lower().endswith(PICTURE_EXTENSIONS) or not stem or not dot:
        return invalid_parameter(filename_field, "must end with .jpg, .jpeg or .png")
    return None


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
