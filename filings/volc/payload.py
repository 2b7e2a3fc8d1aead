"""The Click2CallCompanyAuth and Click2CallNumberAuth request bodies.

Pure: no ORM, no network, no clock.
"""

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


NUMBER_AUTH_LETTER = "businessUsageCommitmentletter"
NUMBER_ACTIONS_WITH_LETTER = ("add", "update")


def number_auth_payload(
    *,
    company_name: str,
    credit_code: str,
    action: str,
    numbers: Sequence[str],
    letter: tuple[str, str] | None = None,
    script: str = "",
    scene: str = "",
) -> dict[str, Any]:
    """The Click2CallNumberAuth body as a dict, keys in the API page's order.

    `numbers`: national digits, already unique and at most 100. `letter`: (url, file name) of the
    business-usage commitment letter; it, the script and the scene go only with add and update.
    """
    payload: dict[str, Any] = {
        "companyName": company_name,
        "companyCreditCode": credit_code,
        "action": action,
        "aNumbers": ",".join(numbers),
    }
    if action in NUMBER_ACTIONS_WITH_LETTER:
        if letter is None:
            raise ValueError(f"action {action!r} needs the business-usage commitment letter")
        url, filename = letter
        payload[f"{NUMBER_AUTH_LETTER}PicUrl"] = url
        payload[f"{NUMBER_AUTH_LETTER}PicFilename"] = filename
        payload["script"] = script
        payload["scriptScene"] = scene
    return payload


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Serialise once: these exact bytes are hashed, signed and sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
