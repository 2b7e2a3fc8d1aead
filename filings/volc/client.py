"""Click2CallCompanyAuth: build the body once, sign just before sending, send, classify.

The transport is `requests`; signing is the pure `filings.volc.signing`. Nothing here touches the
database: the caller records the returned `SendResult`.
"""

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from filings.volc.signing import Credentials, SignedRequest, redact_authorization, sign

logger = logging.getLogger(__name__)

ACTION = "Click2CallCompanyAuth"
VERSION = "2022-01-01"
SERVICE = "vms"
CONTENT_TYPE = "application/json; charset=UTF-8"
SUCCESS_CODES = frozenset({"0", "200"})
# Document kinds in the order the API page lists them; each is the prefix of …PicUrl/…PicFilename.
DOCUMENT_FIELDS = (
    "businessLicense",
    "proprietorIdcard",
    "operatorIdcard",
    "operatorIdcardInhand",
    "networkaccessCommitmentletter",
    "numberapplicationOfficialletter",
)
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


@dataclass(frozen=True)
class Target:
    """Where a request goes: the endpoint URL split into what the signer needs."""

    endpoint: str
    region: str

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.endpoint).path or "/"

    @property
    def query(self) -> list[tuple[str, str]]:
        return [("Action", ACTION), ("Version", VERSION)]

    @property
    def url(self) -> str:
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}{self.path}?{urlencode(self.query)}"


BASE_HEADERS = {"Content-Type": CONTENT_TYPE}


def sign_request(
    target: Target, body: bytes, credentials: Credentials, now: datetime
) -> SignedRequest:
    """Sign a Click2CallCompanyAuth POST of `body` to `target`."""
    return sign(
        method="POST",
        host=target.host,
        path=target.path,
        query=target.query,
        headers=BASE_HEADERS,
        body=body,
        credentials=credentials,
        region=target.region,
        service=SERVICE,
        now=now,
    )


# Only ever signs a preview whose signature is thrown away; never a credential.
PREVIEW_CREDENTIALS = Credentials(access_key_id="preview", secret_access_key="preview")  # noqa: S106  # nosec B106


def signed_header_names(target: Target, body: bytes) -> list[str]:
    """The headers the signature will cover, for the confirmation page (asks the signer itself)."""
    preview = sign_request(target, body, PREVIEW_CREDENTIALS, datetime.now(UTC))
    return preview.signed_headers.split(";")


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retryable: bool
    endpoint: str
    region: str
    body: bytes = field(repr=False)
    request_headers: dict[str, str]
    request_sha256: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    http_status: int | None = None
    response_text: str = ""
    response_truncated: bool = False
    provider_request_id: str = ""
    error_code: str = ""
    error_code_n: int | None = None
    error_message: str = ""
    result_code: str = ""
    result_message: str = ""
    result_request_id: str = ""
    transport_error: str = ""

    @property
    def summary(self) -> str:
        """One line for people: what happened and what Volcengine said."""
        said = " ".join(
            part
            for part in (
                self.error_code,
                self.error_message,
                self.result_code and f"code {self.result_code}",
                self.result_message,
                self.transport_error,
            )
            if part
        )
        status = f"HTTP {self.http_status}" if self.http_status else "no HTTP response"
        request_id = f" RequestId {self.provider_request_id}" if self.provider_request_id else ""
        head = f"{self.outcome.value} ({status}){request_id}"
        return f"{head}: {said}" if said else head


@dataclass(frozen=True)
class Classification:
    outcome: Outcome
    retryable: bool
    provider_request_id: str = ""
    error_code: str = ""
    error_code_n: int | None = None
    error_message: str = ""
    result_code: str = ""
    result_message: str = ""
    result_request_id: str = ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def classify_response(status: int, text: str) -> Classification:
    """Pure: decide what an HTTP answer means for the filing (volc-signing.md §6)."""
    try:
        document = json.loads(text)
        metadata = document.get("ResponseMetadata") or {}
        if not isinstance(metadata, dict):
            raise TypeError("ResponseMetadata is not an object")
    except (ValueError, TypeError, AttributeError):
        # Not the expected envelope: whatever answered, the service may have run.
        return Classification(Outcome.UNKNOWN, retryable=False)
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


def _not_sent_cause(exc: requests.RequestException) -> bool:
    """True when the connection failed before any byte of the request was written."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    wrapped = exc.args[0] if exc.args else None  # urllib3's MaxRetryError, or the error itself
    reason = getattr(wrapped, "reason", wrapped)
    if isinstance(reason, NewConnectionError):  # NameResolutionError is one too
        return True
    # TLS errors (and a TLS handshake that timed out, which urllib3 reports as a *read* timeout)
    # count only when raised while connecting: one raised reading the answer follows the request.
    return _raised_while_connecting(exc)


def _raised_while_connecting(exc: BaseException) -> bool:
    """True when the root error was raised inside urllib3's connect() (TCP, TLS handshake)."""
    error: BaseException | None = exc
    for _ in range(16):  # the chain is requests → urllib3 → ssl/socket: a few links
        if error is None:
            return False
        frame = error.__traceback__
        while frame is not None:
            code = frame.tb_frame.f_code
            if code.co_name == "connect" and "urllib3" in code.co_filename:
                return True
            frame = frame.tb_next
        error = error.__cause__ or error.__context__
    return False


def _read_bounded(response: requests.Response, limit: int) -> tuple[str, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    raw = b"".join(chunks)
    return raw[:limit].decode("utf-8", errors="replace"), size > limit


def send_company_auth(
    body: bytes,
    *,
    target: Target,
    credentials: Credentials,
    connect_timeout: float,
    read_timeout: float,
    max_response_bytes: int,
    session: requests.Session | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SendResult:
    """Sign `body` now and send it once. Never raises for network or provider trouble."""
    signed = sign_request(target, body, credentials, now())
    headers = {**BASE_HEADERS, **signed.headers}
    recorded_headers = {
        name: redact_authorization(value) if name.lower() == "authorization" else value
        for name, value in headers.items()
        if name.lower() != "x-security-token"
    }
    started_at = now()
    clock = time.monotonic()
    record: dict[str, Any] = {
        "endpoint": target.endpoint,
        "region": target.region,
        "body": body,
        "request_headers": recorded_headers,
        "request_sha256": hashlib.sha256(body).hexdigest(),
        "started_at": started_at,
    }

    def finish(**values: Any) -> SendResult:
        elapsed = time.monotonic() - clock
        result = SendResult(
            **record,
            finished_at=now(),
            duration_ms=int(elapsed * 1000),
            **values,
        )
        logger.info(
            "Click2CallCompanyAuth %s status=%s request_id=%s code=%s",
            result.outcome.value,
            result.http_status,
            result.provider_request_id,
            result.error_code or result.result_code,
        )
        return result

    http = session or requests.Session()
    try:
        response = http.post(
            target.url,
            data=body,
            headers=headers,
            timeout=(connect_timeout, read_timeout),
            stream=True,
            allow_redirects=False,
        )
        try:
            text, truncated = _read_bounded(response, max_response_bytes)
        finally:
            response.close()
    except requests.RequestException as exc:
        # Unless it failed before the request was written (NOT_SENT), it may have run: UNKNOWN.
        outcome = Outcome.NOT_SENT if _not_sent_cause(exc) else Outcome.UNKNOWN
        return finish(
            outcome=outcome,
            retryable=outcome is Outcome.NOT_SENT,
            transport_error=f"{type(exc).__name__}: {_safe_reason(exc)}",
        )
    finally:
        if session is None:
            http.close()
    if truncated:
        verdict = Classification(Outcome.UNKNOWN, retryable=False)
    else:
        verdict = classify_response(response.status_code, text)
    return finish(
        http_status=response.status_code,
        response_text=text,
        response_truncated=truncated,
        **verdict.__dict__,
    )


def _safe_reason(exc: BaseException) -> str:
    """The exception text, bounded; it never contains headers, so never the signature or key."""
    return str(exc)[:1000]
