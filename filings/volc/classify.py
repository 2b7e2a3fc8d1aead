"""What Volcengine's answer means for a filing. Pure: no ORM, no network, no clock."""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SUCCESS_CODES = frozenset({"0", "200"})
# Gateway refusals made before the service ran: safe to send again after a fix or a wait.
RETRYABLE_ERROR_CODES = frozenset(
    {
        "FlowLimitExceeded",
        "AccountFlowLimitExceeded",
        "InvalidTimestamp",
        "SignatureDoesNotMatch",
        "InvalidAccessKey",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "MissingSignature",
        "MissingRequestInfo",
        "InvalidAuthorization",
        "InvalidCredential",
        "InvalidSecretToken",
        "AccessDenied",
        "LackPolicy",
        "LackProjectPolicy",
        "ServiceNotFound",
        "InvalidActionOrVersion",
        "MethodNotAllowed",
    }
)


class Outcome(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    NOT_SENT = "NOT_SENT"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Classification:
    """The outcome, whether sending again is safe, and what Volcengine said, as it said it."""

    outcome: Outcome
    retryable: bool
    provider_request_id: str = ""
    error_code: str = ""
    error_code_n: int | None = None
    error_message: str = ""
    result_code: str = ""
    result_message: str = ""
    result_request_id: str = ""


# The service may have run, and nothing says what it did: never sent again automatically.
UNKNOWN_OUTCOME = Classification(Outcome.UNKNOWN, retryable=False)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def classify_response(status: int, text: str) -> Classification:
    """Decide what an HTTP answer (status and body text) means for the filing.

    ResponseMetadata.Error from a 4xx is the gateway's refusal, made before the service ran:
    REJECTED, and safe to send again for the codes in RETRYABLE_ERROR_CODES. A 5xx, or any answer
    that is not the envelope, may come after the service ran: UNKNOWN. A 2xx Result is ACCEPTED
    when its code is one of SUCCESS_CODES, REJECTED otherwise.
    """
    try:
        document = json.loads(text)
        metadata = document.get("ResponseMetadata") or {}
        if not isinstance(metadata, dict):
            raise TypeError("ResponseMetadata is not an object")
    except (ValueError, TypeError, AttributeError):
        # Not the expected envelope: whatever answered, the service may have run.
        return UNKNOWN_OUTCOME
    request_id = _text(metadata.get("RequestId"))
    error = metadata.get("Error")
    if isinstance(error, dict) and error:
        code = _text(error.get("Code"))
        code_n = error.get("CodeN")
        # A 5xx may come after the service ran; a 4xx refusal is the gateway's, before it ran.
        unknown = status >= 500
        return Classification(
            Outcome.UNKNOWN if unknown else Outcome.REJECTED,
            retryable=not unknown and code in RETRYABLE_ERROR_CODES,
            provider_request_id=request_id,
            error_code=code,
            error_code_n=code_n if isinstance(code_n, int) else None,
            error_message=_text(error.get("Message")),
        )
    if status >= 500:
        return Classification(Outcome.UNKNOWN, retryable=False, provider_request_id=request_id)
    result = document.get("Result")
    if not (200 <= status < 300) or not isinstance(result, dict):
        return Classification(Outcome.UNKNOWN, retryable=False, provider_request_id=request_id)
    code = _text(result.get("code"))
    return Classification(
        Outcome.ACCEPTED if code in SUCCESS_CODES else Outcome.REJECTED,
        retryable=False,
        provider_request_id=request_id,
        result_code=code,
        result_message=_text(result.get("message")),
        result_request_id=_text(result.get("requestId")),
    )


def classify_no_answer(*, written: bool) -> Classification:
    """No HTTP answer: UNKNOWN if any of the request was written, else NOT_SENT (safe to resend)."""
    if written:
        return UNKNOWN_OUTCOME
    return Classification(Outcome.NOT_SENT, retryable=True)
