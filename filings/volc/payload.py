"""The Click2CallCompanyAuth request body. Pure: no ORM, no network, no clock."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

# Document kinds in the order the API page lists them; each is the prefix of …PicUrl/…PicFilename.
DOCUMENT_FIELDS = (
    "businessLicense",
    "proprietorIdcard",
    "operatorIdcard",
    "operatorIdcardInhand",
    "networkaccessCommitmentletter",
    "numberapplicationOfficialletter",
)


def company_auth_payload(
    *,
    company_name: str,
    credit_code: str,
    documents: Mapping[str, tuple[str, str]],
    callee_source: str,
    business_carrier: str,
    scripts: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """The request body as a dict, keys in the API page's order. `documents`: kind → (url, name)."""
    payload: dict[str, Any] = {"companyName": company_name, "companyCreditCode": credit_code}
    for kind in DOCUMENT_FIELDS:
        url, filename = documents[kind]
        payload[f"{kind}PicUrl"] = url
        payload[f"{kind}PicFilename"] = filename
    payload["calleeSource"] = callee_source
    payload["businessCarrier"] = business_carrier
    payload["scriptList"] = [
        {"scriptContent": content, "scriptScene": scene} for scene, content in scripts
    ]
    return payload


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Serialise once: these exact bytes are hashed, signed and sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
