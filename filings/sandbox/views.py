"""The sandbox endpoint: verifies requests like Volcengine's gateway and answers with its envelopes.

The signature is verified first, whatever the configured mode: a request whose signature does not
verify gets the gateway's refusal and nothing is written. A verified request is answered as the
SandboxConfig mode asks (normally: Action/Version and body checked, then accepted) and recorded
as one SandboxRequest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from filings.sandbox.apis import APIS, COMPANY_AUTH
from filings.sandbox.body_rules import peek_credit_code
from filings.sandbox.errors import (
    FLOW_LIMIT_EXCEEDED,
    INTERNAL_ERROR,
    INTERNAL_SERVICE_TIMEOUT,
    METHOD_NOT_ALLOWED,
    VerifyError,
    invalid_access_key,
    invalid_timestamp,
    missing_parameter,
    scrub_secrets,
    signature_does_not_match,
)
from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.sandbox.pictures import check_pictures
from filings.sandbox.verify import (
    SERVICE,
    AuthorizationParts,
    RequestParts,
    query_value,
    verify_content,
    verify_signature,
)

Mode = SandboxConfig.Mode

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
HTML_BAD_GATEWAY = "<html><body><h1>502 Bad Gateway</h1></body></html>"
TRUNCATED_JSON = '{"ResponseMetadata": '
SANDBOX_REGIONS = frozenset({"cn-beijing", "cn-north-1"})
SUCCESS_MESSAGE = "成功"
BUSINESS_FAILURE_CODE = "1001"


@dataclass(frozen=True)
class Answer:
    """What the sandbox sends back, and how it is logged."""

    status: int
    body: bytes
    content_type: str
    answer_code: str


class Incoming(RequestParts):
    """A request as the sandbox reads it: what the verifier checks, and what answers repeat."""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Incoming:
        return cls(
            method=request.method or "",
            path=request.path,
            query_string=request.META.get("QUERY_STRING", ""),
            headers=dict(request.headers),
            body=request.body,
        )

    @property
    def action(self) -> str:
        return query_value(self.query_string, "Action") or ""

    @property
    def version(self) -> str:
        return query_value(self.query_string, "Version") or ""

    @property
    def credential(self) -> list[str]:
        """AK/date/region/service/request from Authorization, as far as it can be read."""
        authorization = self.lower_headers.get("authorization", "")
        _, found, rest = authorization.partition("Credential=")
        return rest.split(",", 1)[0].split("/") if found else []

    @property
    def region(self) -> str:
        credential = self.credential
        return credential[2] if len(credential) > 2 else settings.VOLC_REGION


def new_request_id() -> str:
    """Like the gateway's: UTC time to the second, then upper-case random hex."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def _metadata(incoming: Incoming) -> dict[str, Any]:
    return {
        "RequestId": new_request_id(),
        "Action": incoming.action,
        "Version": incoming.version,
        "Service": SERVICE,
        "Region": incoming.region,
    }


def _json_answer(status: int, envelope: dict[str, Any], answer_code: str) -> Answer:
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Answer(status, body, JSON_CONTENT_TYPE, answer_code)


def error_answer(incoming: Incoming, error: VerifyError) -> Answer:
    error = scrub_secrets(error, [settings.VOLC_SANDBOX_SECRETKEY])
    details: dict[str, Any] = {"Code": error.code, "Message": error.message}
    if error.code_n is not None:
        details = {"CodeN": error.code_n, **details}
    envelope = {"ResponseMetadata": {**_metadata(incoming), "Error": details}}
    return _json_answer(error.status, envelope, error.code)


def result_answer(incoming: Incoming, code: str, message: str) -> Answer:
    envelope = {
        "ResponseMetadata": _metadata(incoming),
        "Result": {"code": code, "message": message, "requestId": uuid.uuid4().hex},
    }
    return _json_answer(200, envelope, code)


def credentials() -> dict[str, str]:
    return {settings.VOLC_SANDBOX_ACCESSKEY: settings.VOLC_SANDBOX_SECRETKEY}


def check_signature(incoming: Incoming) -> AuthorizationParts | VerifyError:
    return verify_signature(
        incoming,
        credentials=credentials(),
        now=datetime.now(UTC),
        regions=SANDBOX_REGIONS | {settings.VOLC_REGION},
    )


def normal_answer(incoming: Incoming, auth: AuthorizationParts) -> Answer:
    verified = verify_content(auth, incoming, secrets=credentials().values())
    if isinstance(verified, VerifyError):
        return error_answer(incoming, verified)
    if settings.VOLC_SANDBOX_FETCH_IMAGES:
        picture_error = check_pictures(verified)
        if picture_error is not None:
            return error_answer(incoming, picture_error)
    return result_answer(incoming, APIS[verified.action].success_code, SUCCESS_MESSAGE)


def business_failure_answer(incoming: Incoming) -> Answer:
    # Forced modes do not check the Action: an unknown one gets the company filing's message.
    api = APIS.get(incoming.action, APIS[COMPANY_AUTH])
    return result_answer(incoming, BUSINESS_FAILURE_CODE, api.failure_message)


def _forced_access_key(incoming: Incoming) -> VerifyError:
    credential = incoming.credential
    return invalid_access_key(credential[0] if credential else "")


FORCED_ANSWERS: dict[str, Callable[[Incoming], Answer]] = {
    Mode.RESULT_FAILURE: business_failure_answer,
    Mode.SIGNATURE_ERROR: lambda i: error_answer(i, signature_does_not_match()),
    Mode.INVALID_TIMESTAMP: lambda i: error_answer(
        i, invalid_timestamp("X-Date is outside the allowed 900 s window.")
    ),
    Mode.MISSING_PARAMETER: lambda i: error_answer(i, missing_parameter("companyName")),
    Mode.INVALID_ACCESS_KEY: lambda i: error_answer(i, _forced_access_key(i)),
    Mode.THROTTLED: lambda i: error_answer(i, FLOW_LIMIT_EXCEEDED),
    Mode.INTERNAL_ERROR: lambda i: error_answer(i, INTERNAL_ERROR),
    Mode.GATEWAY_TIMEOUT: lambda i: error_answer(i, INTERNAL_SERVICE_TIMEOUT),
    Mode.HTML_ERROR: lambda i: Answer(502, HTML_BAD_GATEWAY.encode(), HTML_CONTENT_TYPE, "html"),
    Mode.INVALID_JSON: lambda i: Answer(
        200, TRUNCATED_JSON.encode(), JSON_CONTENT_TYPE, "invalid_json"
    ),
}


def answer_for(incoming: Incoming, auth: AuthorizationParts, mode: str) -> Answer:
    """The answer to a POST whose signature verified, as `mode` asks."""
    forced = FORCED_ANSWERS.get(mode)
    return forced(incoming) if forced is not None else normal_answer(incoming, auth)


def record(incoming: Incoming, answer: Answer) -> None:
    SandboxRequest.objects.create(
        action=incoming.action[:64],
        body_sha256=hashlib.sha256(incoming.body).hexdigest(),
        company_credit_code=peek_credit_code(incoming.body)[:32],
        http_status=answer.status,
        answer_code=answer.answer_code[:64],
    )


def respond(answer: Answer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@csrf_exempt
def sandbox_endpoint(request: HttpRequest) -> HttpResponse:
    if not settings.VOLC_SANDBOX_ENABLED:
        raise Http404
    incoming = Incoming.from_request(request)
    if incoming.method != "POST":
        return respond(error_answer(incoming, METHOD_NOT_ALLOWED))
    auth = check_signature(incoming)
    if isinstance(auth, VerifyError):
        return respond(error_answer(incoming, auth))  # nothing is written for it
    config = SandboxConfig.objects.filter(pk=1).first()
    mode = config.mode if config is not None else Mode.NORMAL
    answer = answer_for(incoming, auth, mode)
    # Recorded before a stall, so a client that gave up can still see that the request arrived.
    record(incoming, answer)
    if config is not None and mode == Mode.STALL:
        time.sleep(config.stall_seconds)
    return respond(answer)
