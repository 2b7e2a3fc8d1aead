"""The gateway's refusals, as code, CodeN, HTTP status and message. Pure: no Django, no network."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your Secret Access Key and signing method."
)


@dataclass(frozen=True)
class VerifyError:
    """A refusal, shaped like the gateway's ResponseMetadata.Error."""

    code: str
    code_n: int | None
    status: int
    message: str


def missing_authentication_token() -> VerifyError:
    return VerifyError(
        "MissingAuthenticationToken", 100003, 401, "The request is missing an Authorization header."
    )


def invalid_authorization(reason: str) -> VerifyError:
    return VerifyError("InvalidAuthorization", None, 400, f"Invalid Authorization header: {reason}")


def missing_signature() -> VerifyError:
    return VerifyError("MissingSignature", 100005, 401, "The request is missing Signature.")


def missing_request_info(what: str) -> VerifyError:
    return VerifyError(
        "MissingRequestInfo", 100004, 400, f"The request is missing {what} information."
    )


def invalid_timestamp(reason: str) -> VerifyError:
    return VerifyError(
        "InvalidTimestamp", 100006, 400, f"The Signature of the request is expired. {reason}"
    )


def service_not_found(service: str) -> VerifyError:
    return VerifyError("ServiceNotFound", 100007, 404, f"Could not find service {service!r}.")


def invalid_access_key(access_key: str) -> VerifyError:
    return VerifyError(
        "InvalidAccessKey",
        100009,
        401,
        f"The accesskey [{access_key}] included in the request is invalid.",
    )


def signature_does_not_match(detail: str = "") -> VerifyError:
    message = SIGNATURE_MISMATCH_MESSAGE + (f" {detail}" if detail else "")
    return VerifyError("SignatureDoesNotMatch", 100010, 401, message)


def missing_parameter(name: str) -> VerifyError:
    return VerifyError("MissingParameter", 100002, 400, f"The request is missing {name} parameter.")


def invalid_action_or_version(action: str, version: str) -> VerifyError:
    return VerifyError(
        "InvalidActionOrVersion",
        100008,
        404,
        f"Could not find operation {action} for version {version}.",
    )


def invalid_parameter(name: str, reason: str) -> VerifyError:
    return VerifyError("InvalidParameter", None, 400, f"The parameter {name} {reason}.")


# Refusals that depend on nothing in the request.
METHOD_NOT_ALLOWED = VerifyError("MethodNotAllowed", None, 405, "The HTTP method is not allowed.")
FLOW_LIMIT_EXCEEDED = VerifyError(
    "FlowLimitExceeded", None, 429, "Flow limit exceeded, please try again later."
)
INTERNAL_ERROR = VerifyError(
    "InternalError", 100014, 500, "The request processing has failed due to some unknown error."
)
INTERNAL_SERVICE_TIMEOUT = VerifyError(
    "InternalServiceTimeout", 100016, 504, "The backend service timed out."
)


def scrub_secrets(error: VerifyError, secrets: Iterable[str]) -> VerifyError:
    """The same error with any configured secret key masked (e.g. one sent in the AK's place)."""
    message = error.message
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return error if message == error.message else replace(error, message=message)
