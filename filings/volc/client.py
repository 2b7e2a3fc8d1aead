"""VMS API transport: sign a body for an Action just before sending, send it once, record it.

The transport is `requests`; signing is the pure `filings.volc.signing`, the Action and body come
from the filing's kind (`filings.kinds`) and the answer's meaning from `filings.volc.classify`.
Nothing here touches the database: the caller records the returned `SendResult`.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from filings.volc.classify import (
    UNKNOWN_OUTCOME,
    Classification,
    classify_no_answer,
    classify_response,
)
from filings.volc.signing import Credentials, SignedRequest, redact_authorization, sign

logger = logging.getLogger(__name__)

VERSION = "2022-01-01"
SERVICE = "vms"
CONTENT_TYPE = "application/json; charset=UTF-8"


@dataclass(frozen=True)
class Target:
    """Where a request goes: the endpoint URL split into what the signer needs.

    The Action, which names the API called, goes in the query string beside the Version.
    """

    endpoint: str
    region: str

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.endpoint).path or "/"

    def query(self, action: str) -> list[tuple[str, str]]:
        return [("Action", action), ("Version", VERSION)]

    def url(self, action: str) -> str:
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}{self.path}?{urlencode(self.query(action))}"


BASE_HEADERS = {"Content-Type": CONTENT_TYPE}


def sign_request(
    target: Target, action: str, body: bytes, credentials: Credentials, now: datetime
) -> SignedRequest:
    """Sign a POST of `body` to `target` calling `action`."""
    return sign(
        method="POST",
        host=target.host,
        path=target.path,
        query=target.query(action),
        headers=BASE_HEADERS,
        body=body,
        credentials=credentials,
        region=target.region,
        service=SERVICE,
        now=now,
    )


# Only ever signs a preview whose signature is thrown away; never a credential.
PREVIEW_CREDENTIALS = Credentials(access_key_id="preview", secret_access_key="preview")  # noqa: S106  # nosec B106


def signed_header_names(target: Target, action: str, body: bytes) -> list[str]:
    """The headers the signature will cover, for the confirmation page (asks the signer itself)."""
    preview = sign_request(target, action, body, PREVIEW_CREDENTIALS, datetime.now(UTC))
    return preview.signed_headers.split(";")


@dataclass(frozen=True)
class SendResult:
    """One send: what went out, what came back, and what that means (`classification`)."""

    classification: Classification
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
    transport_error: str = ""

    @property
    def summary(self) -> str:
        """One line for people: what happened and what Volcengine said."""
        verdict = self.classification
        said = " ".join(
            part
            for part in (
                verdict.error_code,
                verdict.error_message,
                verdict.result_code and f"code {verdict.result_code}",
                verdict.result_message,
                self.transport_error,
            )
            if part
        )
        status = f"HTTP {self.http_status}" if self.http_status else "no HTTP response"
        request_id = (
            f" RequestId {verdict.provider_request_id}" if verdict.provider_request_id else ""
        )
        head = f"{verdict.outcome.value} ({status}){request_id}"
        return f"{head}: {said}" if said else head


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


def send_action(
    action: str,
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
    """Sign `body` for `action` now and send it once.

    Never raises for network or provider trouble.
    """
    signed = sign_request(target, action, body, credentials, now())
    headers = {**BASE_HEADERS, **signed.headers}
    recorded_headers = {
        name: redact_authorization(value) if name.lower() == "authorization" else value
        for name, value in headers.items()
        if name.lower() != "x-security-token"
    }
    started_at = now()
    clock = time.monotonic()

    def finish(
        classification: Classification,
        *,
        http_status: int | None = None,
        response_text: str = "",
        response_truncated: bool = False,
        transport_error: str = "",
    ) -> SendResult:
        elapsed = time.monotonic() - clock
        result = SendResult(
            classification=classification,
            endpoint=target.endpoint,
            region=target.region,
            body=body,
            request_headers=recorded_headers,
            request_sha256=hashlib.sha256(body).hexdigest(),
            started_at=started_at,
            finished_at=now(),
            duration_ms=int(elapsed * 1000),
            http_status=http_status,
            response_text=response_text,
            response_truncated=response_truncated,
            transport_error=transport_error,
        )
        logger.info(
            "%s %s status=%s request_id=%s code=%s",
            action,
            classification.outcome.value,
            http_status,
            classification.provider_request_id,
            classification.error_code or classification.result_code,
        )
        return result

    http = session or requests.Session()
    try:
        response = http.post(
            target.url(action),
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
        return finish(
            classify_no_answer(written=not _not_sent_cause(exc)),
            transport_error=f"{type(exc).__name__}: {_safe_reason(exc)}",
        )
    finally:
        if session is None:
            http.close()
    # A cut-off answer cannot be read, whatever it would have said.
    verdict = UNKNOWN_OUTCOME if truncated else classify_response(response.status_code, text)
    return finish(
        verdict,
        http_status=response.status_code,
        response_text=text,
        response_truncated=truncated,
    )


def _safe_reason(exc: BaseException) -> str:
    """The exception text, bounded; it never contains headers, so never the signature or key."""
    return str(exc)[:1000]
