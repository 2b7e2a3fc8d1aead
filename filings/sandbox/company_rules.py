"""The Click2CallCompanyAuth body as the gateway checks it. Pure: no Django, no network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filings.sandbox.body_rules import check_picture, check_text, parse_json_object
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


def check_company_auth_body(body: bytes) -> Mapping[str, Any] | VerifyError:
    """The Click2CallCompanyAuth body: every field present and well-formed."""
    payload = parse_json_object(body)
    if isinstance(payload, VerifyError):
        return payload
    for name in COMPANY_FIELDS:
        if (error := check_text(payload, name)) is not None:
            return error
    for kind in PICTURE_KINDS:
        if (error := check_picture(payload, kind)) is not None:
            return error
    for name in CALLEE_FIELDS:
        if (error := check_text(payload, name)) is not None:
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
            if (error := check_text(script, name, f"scriptList[{index}].{name}")) is not None:
                return error
    return payload
