"""send_action (Click2CallCompanyAuth) over real HTTP on 127.0.0.1: the built-in sandbox, and
small socket servers started here for the misbehaviour a sandbox cannot produce (resets, TLS
trouble, huge bodies).

Every send is checked for the secret key: not in the result, its repr, the captured logs or any
exception text, and the recorded Authorization header carries no signature.
"""

import datetime as dt
import hashlib
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import struct
import threading
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests

from filings import demo
from filings.sandbox import verify as sandbox_verify
from filings.sandbox.errors import VerifyError
from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.volc.classify import Outcome
from filings.volc.client import SendResult, Target, send_action
from filings.volc.payload import DOCUMENT_FIELDS, company_auth_payload, encode_body
from filings.volc.signing import Credentials
from tests.conftest import SANDBOX_AK, free_port

SECRET = "SK-MARKER-9f2c4e7a1b-do-not-leak"
WRONG_SECRET = "SK-WRONG-MARKER-55d1e0c3"
REGION = "cn-beijing"
SIGNATURE_HEX = re.compile(r"[0-9a-f]{64}")

with_sandbox = pytest.mark.django_db(transaction=True)


def demo_payload() -> dict[str, Any]:
    """A demo filing's body: the demo company and scripts, presigned-looking document URLs."""
    name, code = demo.COMPANIES[0]
    documents = {
        kind: (
            f"https://portal-docs.oss.example.com/filings/{kind}/3f1c.jpg"
            f"?X-Amz-Credential=AKIA%2F20260104%2Fus-east-1&X-Amz-Expires=600&X-Amz-Signature=ab12",
            f"{kind}.jpg",
        )
        for kind in DOCUMENT_FIELDS
    }
    return company_auth_payload(
        company_name=name,
        credit_code=code,
        documents=documents,
        callee_source="网站、公众号（用户主动留资）",
        business_carrier=name,
        scripts=demo.SCRIPTS,
    )


PAYLOAD = demo_payload()
BODY = encode_body(PAYLOAD)


@pytest.fixture(autouse=True)
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # urllib3's and ours, at every level
    return caplog


@pytest.fixture
def endpoint(sandbox: str, volc_settings: Any) -> str:
    """The sandbox, knowing the marker secret (so a correct signature proves it was used)."""
    volc_settings.VOLC_SECRETKEY = SECRET
    volc_settings.VOLC_SANDBOX_SECRETKEY = SECRET
    volc_settings.VOLC_SANDBOX_FETCH_IMAGES = False
    return sandbox


def set_mode(mode: str, stall_seconds: float = 3.0) -> None:
    SandboxConfig.objects.update_or_create(
        pk=1, defaults={"mode": mode, "stall_seconds": stall_seconds}
    )


def send(
    url: str,
    *,
    secret: str = SECRET,
    now: Callable[[], datetime] | None = None,
    connect_timeout: float = 1.0,
    read_timeout: float = 3.0,
    max_response_bytes: int = 256 * 1024,
    session: requests.Session | None = None,
    body: bytes = BODY,
) -> SendResult:
    options: dict[str, Any] = {"session": session}
    if now is not None:
        options["now"] = now
    try:
        return send_action(
            "Click2CallCompanyAuth",
            body,
            target=Target(url, REGION),
            credentials=Credentials(SANDBOX_AK, secret),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_response_bytes=max_response_bytes,
            **options,
        )
    except BaseException as exc:  # it should never raise; if it does, not with the secret
        text = "".join(traceback.format_exception(exc))
        assert secret not in text
        raise


def assert_secret_kept(result: SendResult, caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    texts = [repr(result), result.summary, caplog.text]
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            texts.append("".join(traceback.format_exception(record.exc_info[1])))
    for item in fields(result):
        value = getattr(result, item.name)
        if isinstance(value, bytes):
            texts.append(value.decode("utf-8", errors="replace"))
        elif isinstance(value, dict):
            texts.append(json.dumps(value, ensure_ascii=False))
        else:
            texts.append(str(value))
    for secret in secrets or (SECRET,):
        for text in texts:
            assert secret not in text
    authorization = result.request_headers["Authorization"]
    assert authorization.startswith(f"HMAC-SHA256 Credential={SANDBOX_AK}/")
    assert authorization.endswith(", Signature=***")
    assert SIGNATURE_HEX.search(authorization) is None


def assert_request_recorded(result: SendResult, body: bytes = BODY) -> None:
    digest = hashlib.sha256(body).hexdigest()
    assert result.body == body
    assert result.request_sha256 == digest
    assert result.request_headers["X-Content-Sha256"] == digest
    assert result.request_headers["Content-Type"] == "application/json; charset=UTF-8"
    assert re.fullmatch(r"\d{8}T\d{6}Z", result.request_headers["X-Date"])
    authorization = result.request_headers["Authorization"]
    assert "SignedHeaders=content-type;host;x-content-sha256;x-date," in authorization
    assert result.started_at <= result.finished_at
    assert result.duration_ms >= 0
    assert len(result.response_text) <= 256 * 1024


# --- against the built-in sandbox ------------------------------------------------------------


@with_sandbox
def test_the_sandbox_accepts_a_correctly_signed_filing(
    endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    result = send(endpoint)
    verdict = result.classification

    assert (verdict.outcome, verdict.retryable, result.http_status) == (
        Outcome.ACCEPTED,
        False,
        200,
    )
    assert (verdict.result_code, verdict.result_message) == ("0", "成功")
    envelope = json.loads(result.response_text)
    assert verdict.provider_request_id == envelope["ResponseMetadata"]["RequestId"]
    assert verdict.result_request_id == envelope["Result"]["requestId"] != ""
    assert len(verdict.provider_request_id) == 34
    assert (result.endpoint, result.region) == (endpoint, REGION)
    assert not result.response_truncated
    assert result.transport_error == verdict.error_code == ""
    assert_request_recorded(result)
    assert_secret_kept(result, caplog)
    # The sandbox saw exactly these body bytes, once.
    logged = SandboxRequest.objects.get()
    assert logged.body_sha256 == result.request_sha256
    assert logged.company_credit_code == PAYLOAD["companyCreditCode"]
    logged_line = (
        f"Click2CallCompanyAuth ACCEPTED status=200 request_id={verdict.provider_request_id}"
    )
    assert logged_line in caplog.text


@with_sandbox
def test_a_wrong_secret_is_rejected_as_signature_does_not_match(
    endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    result = send(endpoint, secret=WRONG_SECRET)
    verdict = result.classification

    assert (verdict.outcome, result.http_status) == (Outcome.REJECTED, 401)
    assert (verdict.error_code, verdict.error_code_n) == ("SignatureDoesNotMatch", 100010)
    assert verdict.error_message.startswith("The request signature we calculated does not match")
    assert verdict.retryable  # a gateway refusal: the filing was not processed
    assert verdict.provider_request_id
    assert_secret_kept(result, caplog, SECRET, WRONG_SECRET)
    assert not SandboxRequest.objects.exists()  # the sandbox writes nothing for a bad signature


@with_sandbox
@pytest.mark.parametrize("skew", [timedelta(minutes=-20), timedelta(minutes=20)])
def test_a_clock_twenty_minutes_off_is_rejected_as_invalid_timestamp(
    endpoint: str, caplog: pytest.LogCaptureFixture, skew: timedelta
) -> None:
    result = send(endpoint, now=lambda: datetime.now(UTC) + skew)
    verdict = result.classification

    assert (verdict.outcome, result.http_status) == (Outcome.REJECTED, 400)
    assert (verdict.error_code, verdict.error_code_n) == ("InvalidTimestamp", 100006)
    assert verdict.retryable
    expected_x_date = (datetime.now(UTC) + skew).strftime("%Y%m%dT%H")
    assert result.request_headers["X-Date"].startswith(expected_x_date)
    assert_secret_kept(result, caplog)


@with_sandbox
def test_a_stalled_answer_is_unknown_within_the_read_timeout(
    endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    set_mode(SandboxConfig.Mode.STALL, stall_seconds=3)

    started = time.monotonic()
    result = send(endpoint, read_timeout=0.5)
    verdict = result.classification
    elapsed = time.monotonic() - started

    assert elapsed < 2.5
    assert (verdict.outcome, verdict.retryable, result.http_status) == (
        Outcome.UNKNOWN,
        False,
        None,
    )
    assert result.transport_error.startswith(("ReadTimeout", "ConnectionError"))
    assert "timed out" in result.transport_error.lower()
    assert result.duration_ms >= 450
    # It did arrive: that is exactly why the outcome cannot be known.
    assert SandboxRequest.objects.get().body_sha256 == result.request_sha256
    assert_secret_kept(result, caplog)


MODES = [
    # mode, HTTP status, outcome, retryable, Error.Code, CodeN
    ("throttled", 429, Outcome.REJECTED, True, "FlowLimitExceeded", None),
    ("signature_error", 401, Outcome.REJECTED, True, "SignatureDoesNotMatch", 100010),
    ("invalid_timestamp", 400, Outcome.REJECTED, True, "InvalidTimestamp", 100006),
    ("invalid_access_key", 401, Outcome.REJECTED, True, "InvalidAccessKey", 100009),
    ("result_failure", 200, Outcome.REJECTED, False, "", None),
    ("internal_error", 500, Outcome.UNKNOWN, False, "InternalError", 100014),
    ("gateway_timeout", 504, Outcome.UNKNOWN, False, "InternalServiceTimeout", 100016),
    ("html_error", 502, Outcome.UNKNOWN, False, "", None),
    ("invalid_json", 200, Outcome.UNKNOWN, False, "", None),
]


@with_sandbox
@pytest.mark.parametrize(
    ("mode", "status", "outcome", "retryable", "code", "code_n"),
    MODES,
    ids=[mode[0] for mode in MODES],
)
def test_each_sandbox_failure_mode(
    endpoint: str,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    status: int,
    outcome: Outcome,
    retryable: bool,
    code: str,
    code_n: int | None,
) -> None:
    set_mode(mode)

    result = send(endpoint)
    verdict = result.classification

    assert (verdict.outcome, verdict.retryable, result.http_status) == (outcome, retryable, status)
    assert (verdict.error_code, verdict.error_code_n) == (code, code_n)
    assert_request_recorded(result)
    assert_secret_kept(result, caplog)
    logged = SandboxRequest.objects.get()
    assert logged.http_status == status
    assert logged.body_sha256 == result.request_sha256


@with_sandbox
def test_a_business_failure_keeps_the_message_for_the_operator(endpoint: str) -> None:
    set_mode(SandboxConfig.Mode.RESULT_FAILURE)

    result = send(endpoint)
    verdict = result.classification

    assert (verdict.result_code, verdict.outcome) == ("1001", Outcome.REJECTED)
    assert "营业执照信息与企业名称不一致" in verdict.result_message
    assert "营业执照信息与企业名称不一致" in result.summary


@with_sandbox
def test_an_html_error_page_is_unknown_and_kept_raw(endpoint: str) -> None:
    set_mode(SandboxConfig.Mode.HTML_ERROR)

    result = send(endpoint)
    verdict = result.classification

    assert verdict.outcome is Outcome.UNKNOWN
    assert result.response_text == "<html><body><h1>502 Bad Gateway</h1></body></html>"
    assert verdict.provider_request_id == ""


@with_sandbox
def test_a_5xx_error_envelope_is_unknown_but_keeps_the_request_id(endpoint: str) -> None:
    set_mode(SandboxConfig.Mode.INTERNAL_ERROR)

    result = send(endpoint)
    verdict = result.classification

    assert verdict.outcome is Outcome.UNKNOWN
    envelope = json.loads(result.response_text)
    assert verdict.provider_request_id == envelope["ResponseMetadata"]["RequestId"]
    assert verdict.error_message == envelope["ResponseMetadata"]["Error"]["Message"]


# --- nothing listening, no such host ---------------------------------------------------------


def test_a_closed_port_is_not_sent(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()

    started = time.monotonic()
    result = send(f"http://127.0.0.1:{port}/sandbox/vms/")
    verdict = result.classification

    assert time.monotonic() - started < 2
    assert (verdict.outcome, verdict.retryable, result.http_status) == (
        Outcome.NOT_SENT,
        True,
        None,
    )
    assert result.transport_error.startswith("ConnectionError:")
    assert "refused" in result.transport_error.lower()
    assert result.response_text == ""
    assert_request_recorded(result)
    assert_secret_kept(result, caplog)


def test_a_host_that_does_not_resolve_is_not_sent(caplog: pytest.LogCaptureFixture) -> None:
    result = send("http://nonexistent.invalid/")
    verdict = result.classification

    assert (verdict.outcome, verdict.retryable, result.http_status) == (
        Outcome.NOT_SENT,
        True,
        None,
    )
    assert result.transport_error.startswith("ConnectionError:")
    assert "nonexistent.invalid" in result.transport_error
    assert_secret_kept(result, caplog)


def test_a_connect_timeout_is_not_sent(caplog: pytest.LogCaptureFixture) -> None:
    # A listener whose accept queue is full and never drained: the SYN goes unanswered.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        try:
            started = time.monotonic()
            result = send(f"http://127.0.0.1:{port}/", connect_timeout=0.3)
            elapsed = time.monotonic() - started
        finally:
            for filler in fillers:
                filler.close()

    assert elapsed < 2
    verdict = result.classification
    assert (verdict.outcome, verdict.retryable) == (Outcome.NOT_SENT, True)
    assert result.transport_error.startswith("ConnectTimeout:")
    assert_secret_kept(result, caplog)


# --- small socket servers for what the sandbox cannot do --------------------------------------


class RawServer:
    """A loopback TCP server that runs `handle(server, connection)` for each connection."""

    def __init__(self, handle: Callable[["RawServer", socket.socket], None]) -> None:
        self.handle = handle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.received: list[bytes] = []
        self.sent_bytes = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/vms/"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(5)
            try:
                self.handle(self, connection)
            except (OSError, ssl.SSLError) as exc:
                self.errors.append(exc)
            finally:
                connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[RawServer, socket.socket], None]], RawServer]]:
    started: list[RawServer] = []

    def start(handle: Callable[[RawServer, socket.socket], None]) -> RawServer:
        server = RawServer(handle)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def read_request(connection: socket.socket) -> bytes:
    """One whole HTTP/1.1 request (head and Content-Length body), as received."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
    length = int(match.group(1)) if match else 0
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def split_request(raw: bytes) -> tuple[str, str, str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, version = request_line.split(" ")
    assert version == "HTTP/1.1"
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        assert name.lower() not in {n.lower() for n in headers}, f"{name} sent twice"
        headers[name] = value.strip()
    parts = urlsplit(target)
    return method, unquote(parts.path), parts.query, headers, body


def http_answer(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


SUCCESS = json.dumps(
    {
        "ResponseMetadata": {"RequestId": "2026010419394121502823312570DE98", "Service": "vms"},
        "Result": {"code": "0", "message": "成功", "requestId": "U12312312g"},
    },
    ensure_ascii=False,
).encode()


def capture_and_accept(server: RawServer, connection: socket.socket) -> None:
    server.received.append(read_request(connection))
    connection.sendall(http_answer("200 OK", SUCCESS))


def test_the_bytes_on_the_wire_verify_under_the_independent_verifier(
    raw_server: Callable[..., RawServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = raw_server(capture_and_accept)

    result = send(server.url)
    verdict = result.classification

    assert verdict.outcome is Outcome.ACCEPTED
    assert verdict.provider_request_id == "2026010419394121502823312570DE98"
    assert_secret_kept(result, caplog)
    [raw] = server.received
    method, path, query, headers, body = split_request(raw)
    assert (method, path, query) == (
        "POST",
        "/vms/",
        "Action=Click2CallCompanyAuth&Version=2022-01-01",
    )
    # Byte for byte: the body is the single serialisation, and what was hashed is what was sent.
    assert body == BODY == encode_body(PAYLOAD)
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["Content-Type"] == "application/json; charset=UTF-8"
    assert headers["Content-Length"] == str(len(BODY))
    assert "Transfer-Encoding" not in headers
    assert headers["X-Content-Sha256"] == hashlib.sha256(body).hexdigest()

    wire = sandbox_verify.RequestParts(method, path, query, headers, body)
    verified = sandbox_verify.verify_request(
        wire,
        credentials={SANDBOX_AK: SECRET},
        now=datetime.now(UTC),
        regions={REGION},
    )
    assert isinstance(verified, sandbox_verify.Verified), verified
    assert (verified.access_key, verified.region) == (SANDBOX_AK, REGION)
    assert list(verified.body.items()) == list(PAYLOAD.items())

    # The verifier really checks the key: the same bytes under another secret do not verify.
    refused = sandbox_verify.verify_request(
        wire,
        credentials={SANDBOX_AK: WRONG_SECRET},
        now=datetime.now(UTC),
        regions={REGION},
    )
    assert isinstance(refused, VerifyError)
    assert refused.code == "SignatureDoesNotMatch"

    # The record is the wire headers, only the signature value hidden.
    signature = SIGNATURE_HEX.search(headers["Authorization"])
    assert signature is not None
    for name, value in result.request_headers.items():
        if name == "Authorization":
            assert value == headers[name].replace(signature.group(), "***")
        else:
            assert value == headers[name]


def reset_after_reading(server: RawServer, connection: socket.socket) -> None:
    server.received.append(read_request(connection))
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_reset_after_the_request_was_read_is_unknown(
    raw_server: Callable[..., RawServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = raw_server(reset_after_reading)

    result = send(server.url)
    verdict = result.classification

    [raw] = server.received
    assert split_request(raw)[4] == BODY  # the whole request had arrived
    assert (verdict.outcome, verdict.retryable, result.http_status) == (
        Outcome.UNKNOWN,
        False,
        None,
    )
    assert result.transport_error.startswith("ConnectionError:")
    assert_secret_kept(result, caplog)


def close_after_reading(server: RawServer, connection: socket.socket) -> None:
    server.received.append(read_request(connection))


def test_a_connection_closed_without_an_answer_is_unknown(
    raw_server: Callable[..., RawServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = raw_server(close_after_reading)

    result = send(server.url)
    verdict = result.classification

    assert len(server.received) == 1
    assert (verdict.outcome, verdict.retryable) == (Outcome.UNKNOWN, False)
    assert_secret_kept(result, caplog)


HUGE = 30 * 1024 * 1024
CHUNK = b"A" * (64 * 1024)


def huge_answer(server: RawServer, connection: socket.socket) -> None:
    server.received.append(read_request(connection))
    prefix = b'{"ResponseMetadata":{"RequestId":"'
    connection.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {HUGE}\r\n\r\n".encode()
        + prefix
    )
    server.sent_bytes = len(prefix)
    while server.sent_bytes < HUGE:
        part = CHUNK[: HUGE - server.sent_bytes]
        connection.sendall(part)
        server.sent_bytes += len(part)


def test_a_30_mb_answer_is_truncated_unknown_and_read_in_bounded_memory(
    raw_server: Callable[..., RawServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = raw_server(huge_answer)
    limit = 64 * 1024

    tracemalloc.start()
    try:
        started = time.monotonic()
        result = send(server.url, max_response_bytes=limit)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    verdict = result.classification
    assert (verdict.outcome, verdict.retryable, result.http_status) == (Outcome.UNKNOWN, False, 200)
    assert result.response_truncated
    assert len(result.response_text) <= limit
    assert result.response_text.startswith('{"ResponseMetadata":{"RequestId":"AAAA')
    assert peak < 4 * 1024 * 1024  # a few chunks, never the 30 MB
    assert elapsed < 5
    assert_secret_kept(result, caplog)
    # The client hung up early: the server could not push the whole 30 MB.
    time.sleep(0.2)
    assert server.sent_bytes < HUGE


# --- TLS: a failure before the request is written is NOT_SENT, after it UNKNOWN ----------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted only by sessions told to."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def tls_handler(
    tls_files: tuple[Path, Path], then: Callable[[RawServer, ssl.SSLSocket], None]
) -> Callable[[RawServer, socket.socket], None]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)

    def handle(server: RawServer, connection: socket.socket) -> None:
        with context.wrap_socket(connection, server_side=True) as secure:
            then(server, secure)

    return handle


def trusting(tls_files: tuple[Path, Path]) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace `verify`
    session.verify = str(tls_files[0])
    return session


def https(server: RawServer) -> str:
    return f"https://127.0.0.1:{server.port}/vms/"


def test_tls_works_end_to_end_with_a_trusted_certificate(
    raw_server: Callable[..., RawServer],
    tls_files: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = raw_server(tls_handler(tls_files, capture_and_accept))

    with trusting(tls_files) as session:
        result = send(https(server), session=session)

    verdict = result.classification
    assert verdict.outcome is Outcome.ACCEPTED
    assert split_request(server.received[0])[4] == BODY
    assert_secret_kept(result, caplog)


def test_an_untrusted_certificate_is_not_sent(
    raw_server: Callable[..., RawServer],
    tls_files: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = raw_server(tls_handler(tls_files, capture_and_accept))

    result = send(https(server))  # the default trust store does not know this certificate
    verdict = result.classification

    assert (verdict.outcome, verdict.retryable, result.http_status) == (
        Outcome.NOT_SENT,
        True,
        None,
    )
    assert result.transport_error.startswith("SSLError:")
    assert "CERTIFICATE_VERIFY_FAILED" in result.transport_error
    assert server.received == []
    assert_secret_kept(result, caplog)


def plain_http_reply(server: RawServer, connection: socket.socket) -> None:
    server.received.append(connection.recv(4096))  # a TLS ClientHello, not a request
    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def test_https_to_a_plain_http_server_is_not_sent(
    raw_server: Callable[..., RawServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = raw_server(plain_http_reply)

    result = send(https(server))
    verdict = result.classification

    assert (verdict.outcome, verdict.retryable) == (Outcome.NOT_SENT, True)
    assert result.transport_error.startswith("SSLError:")
    [hello] = server.received
    assert hello[:1] == b"\x16"  # a TLS handshake record: no byte of the request went out
    assert b"POST" not in hello
    assert_secret_kept(result, caplog)


def silent(server: RawServer, connection: socket.socket) -> None:
    received = b""
    try:
        while chunk := connection.recv(4096):
            received += chunk
    except TimeoutError:
        pass
    server.received.append(received)


def test_a_tls_handshake_that_never_completes_is_not_sent(
    raw_server: Callable[..., RawServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = raw_server(silent)

    started = time.monotonic()
    result = send(https(server), connect_timeout=0.4, read_timeout=0.4)
    verdict = result.classification
    elapsed = time.monotonic() - started

    assert elapsed < 2
    # urllib3 reports it as a read timeout, but it happened before the request was written.
    assert (verdict.outcome, verdict.retryable) == (Outcome.NOT_SENT, True)
    assert_secret_kept(result, caplog)
    server.close()
    assert b"POST" not in b"".join(server.received)


def test_a_tls_failure_after_the_request_was_written_is_unknown(
    raw_server: Callable[..., RawServer],
    tls_files: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def garbage_after_reading(server: RawServer, secure: ssl.SSLSocket) -> None:
        server.received.append(read_request(secure))
        os.write(secure.fileno(), b"\x15\x03\x03not-a-tls-record" * 8)  # beneath TLS
        time.sleep(0.2)

    server = raw_server(tls_handler(tls_files, garbage_after_reading))

    with trusting(tls_files) as session:
        result = send(https(server), session=session)

    [raw] = server.received
    assert split_request(raw)[4] == BODY  # the filing had been delivered
    verdict = result.classification
    assert (verdict.outcome, verdict.retryable, result.http_status) == (
        Outcome.UNKNOWN,
        False,
        None,
    )
    assert result.transport_error.startswith("SSLError:")
    assert_secret_kept(result, caplog)
