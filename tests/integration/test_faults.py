"""Fault injection: object storage that goes away mid-upload, a provider that misbehaves, a name
that does not resolve, a database that fails between the send and the record of its result.

Each fault ends in a recorded, explainable state (what happened is in the database, the audit
trail or the log), nothing is lost or sent twice, and the Volcengine secret key appears in no log
record, no database row and no exception text.
"""

import hashlib
import html
import io
import json
import logging
import re
import traceback
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import translation

from filings import errors
from filings.audit import verify_chain
from filings.models import AuditEvent, Document, Filing, Submission
from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.services import editing, sending
from tests import builders, imagecorpus
from tests.conftest import free_port, skip_unless_available

pytestmark = pytest.mark.django_db
# Committed data (the live server reads it); the roles come back through conftest's role().
with_sandbox = pytest.mark.django_db(transaction=True)

SECRET = "SK-FAULT-MARKER-5c0ffee1-d0-not-log"
S3_SECRET = "S3-FAULT-MARKER-7e11a9b2-d0-not-log"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
State = Filing.Status


@pytest.fixture(autouse=True)
def portal_settings(volc_settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The marker secret on both sides (so a correct signature proves it was used), English
    messages, and every log record of every logger at every level."""
    volc_settings.VOLC_SECRETKEY = SECRET
    volc_settings.VOLC_SANDBOX_SECRETKEY = SECRET
    volc_settings.VOLC_SANDBOX_FETCH_IMAGES = False
    volc_settings.LANGUAGE_CODE = "en"
    caplog.set_level(logging.DEBUG)


def head() -> int:
    return int(AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0)


def events_after(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def english(text: Any) -> str:
    with translation.override("en"):
        return str(text)


def assert_secrets_kept(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    """Neither secret in any log record (message or traceback), any Submission field, any audit
    event, any sandbox log row, nor in the extra `texts` (exception texts, pages)."""
    seen = [caplog.text, *texts]
    for record in caplog.records:
        seen.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            seen.append("".join(traceback.format_exception(record.exc_info[1])))
    for submission in Submission.objects.all():
        for field in Submission._meta.concrete_fields:
            value = getattr(submission, field.attname)
            seen.append(json.dumps(value) if isinstance(value, dict) else str(value))
    for event in AuditEvent.objects.all():
        seen.append(json.dumps(event.data, ensure_ascii=False))
    seen.extend(str(row) for row in SandboxRequest.objects.values())
    for text in seen:
        assert SECRET not in text
        assert S3_SECRET not in text


# --- object storage goes away ---------------------------------------------------------------------


class MotoS3:
    """A dedicated moto S3 server on its own port, that a test can stop and start again.

    moto keeps buckets in the process, so a restarted server on the same port shows what the
    stopped one held. Its own boto3 client (not the portal's) lists the bucket."""

    def __init__(self) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:  # pragma: no cover - moto[server] is in the test extra
            skip_unless_available("moto[server] is not installed")
        self._server_class = ThreadedMotoServer
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.bucket = f"faults-{self.port}"
        self._server: Any = None
        self.start()
        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="fault-access",
            aws_secret_access_key=S3_SECRET,
            config=Config(s3={"addressing_style": "path"}),
        )
        self.client.create_bucket(Bucket=self.bucket)

    def start(self) -> None:
        self._server = self._server_class(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        """Stop serving; the listening socket closes with it, so connections are refused."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def s3(settings: Any) -> Iterator[MotoS3]:
    """The portal's documents on a dedicated moto server: one attempt per call, short timeouts."""
    server = MotoS3()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "filings.s3_storage.NoOverwriteS3Storage",
            "OPTIONS": {
                "bucket_name": server.bucket,
                "endpoint_url": server.endpoint,
                "region_name": "us-east-1",
                "access_key": "fault-access",
                "secret_key": S3_SECRET,
                "querystring_auth": True,
                "default_acl": None,
                "client_config": Config(
                    s3={"addressing_style": "path"},
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=1,
                    read_timeout=2,
                ),
            },
        },
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def draft(preparer: User) -> Filing:
    return editing.filing_create(
        actor=preparer, company=builders.company(preparer), callee_source="网站"
    )


def upload(client: Client, filing: Filing, kind: str, **files: bytes) -> Any:
    return client.post(
        reverse("admin:filings_filing_document_upload", args=[filing.pk]),
        {
            "kind": kind,
            **{name: SimpleUploadedFile(f"{name}.jpg", data) for name, data in files.items()},
        },
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )


def row_of(filing: Filing) -> dict[str, Any]:
    return dict(Filing.objects.filter(pk=filing.pk).values().get())


def test_s3_stopped_before_the_upload_is_a_form_error_and_nothing_is_recorded(
    s3: MotoS3, client: Client, preparer: User, draft: Filing, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(preparer)
    filing_before, seq = row_of(draft), head()
    s3.stop()

    response = upload(client, draft, Document.Kind.BUSINESS_LICENSE, image=imagecorpus.jpeg_bytes())

    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "errors": {"__all__": [english(errors.STORAGE_UNAVAILABLE)]},
    }
    assert not Document.objects.exists()
    assert events_after(seq) == []
    assert row_of(draft) == filing_before
    # The log says which object could not be stored, and why.
    [warning] = [r for r in caplog.records if r.name == "filings.storage"]
    assert warning.levelno == logging.WARNING
    assert re.fullmatch(
        rf"storage save failed for filings/{draft.uuid}/businessLicense/{UUID}\.jpg: "
        r"EndpointConnectionError",
        warning.getMessage(),
    )
    # Nothing reached the bucket; once the store is back, the same upload works.
    s3.start()
    assert s3.keys() == []
    again = upload(client, draft, Document.Kind.BUSINESS_LICENSE, image=imagecorpus.jpeg_bytes())
    assert again.status_code == 200, again.content
    assert s3.keys() == [Document.objects.get().storage_key]
    assert_secrets_kept(caplog)


def test_s3_stopped_in_the_middle_of_an_id_card_upload_records_nothing_and_names_the_orphan(
    s3: MotoS3, client: Client, preparer: User, draft: Filing, caplog: pytest.LogCaptureFixture
) -> None:
    """Front and back make three objects (the composed image first); the store goes away just
    before the second is sent. The first cannot be deleted while the store is away: it stays,
    and the error log names it."""
    client.force_login(preparer)
    filing_before, seq = row_of(draft), head()
    puts: list[str] = []

    def store_goes_away(request: Any, **kwargs: Any) -> None:
        puts.append(request.url)
        if len(puts) == 2:
            s3.stop()

    default_storage.connection.meta.client.meta.events.register(  # type: ignore[attr-defined]
        "before-send.s3.PutObject", store_goes_away
    )

    response = upload(
        client,
        draft,
        Document.Kind.PROPRIETOR_IDCARD,
        front=imagecorpus.jpeg_bytes(320, 200),
        back=imagecorpus.jpeg_bytes(320, 200, noise=True),
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"__all__": [english(errors.STORAGE_UNAVAILABLE)]}
    assert len(puts) == 2
    assert not Document.objects.exists()
    assert events_after(seq) == []
    assert row_of(draft) == filing_before
    s3.start()
    [orphan] = s3.keys()
    assert puts[0].endswith(orphan)
    assert re.fullmatch(rf"filings/{draft.uuid}/proprietorIdcard/{UUID}\.jpg", orphan)
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.name == "filings.storage"
    assert orphan in error.getMessage()
    # With the store back, the upload succeeds; the orphan is still the only extra object.
    again = upload(
        client,
        draft,
        Document.Kind.PROPRIETOR_IDCARD,
        front=imagecorpus.jpeg_bytes(320, 200),
        back=imagecorpus.jpeg_bytes(320, 200, noise=True),
    )
    assert again.status_code == 200, again.content
    stored = sorted(Document.objects.values_list("storage_key", flat=True))
    assert len(stored) == 3
    assert s3.keys() == sorted([orphan, *stored])
    assert [e.kind for e in events_after(seq)] == ["document.uploaded"]
    assert_secrets_kept(caplog)


# --- the provider misbehaves ----------------------------------------------------------------------

HTML_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"
CUT_JSON = '{"ResponseMetadata": '

# mode, what the sandbox logged, HTTP status seen, outcome, filing status, retryable, Error.Code,
# the raw answer kept (None: a JSON error envelope)
FAULTS = [
    ("internal_error", 500, 500, "UNKNOWN", State.UNKNOWN, False, "InternalError", None),
    ("throttled", 429, 429, "REJECTED", State.REJECTED, True, "FlowLimitExceeded", None),
    ("gateway_timeout", 504, 504, "UNKNOWN", State.UNKNOWN, False, "InternalServiceTimeout", None),
    ("html_error", 502, 502, "UNKNOWN", State.UNKNOWN, False, "", HTML_PAGE),
    ("invalid_json", 200, 200, "UNKNOWN", State.UNKNOWN, False, "", CUT_JSON),
    ("stall", 200, None, "UNKNOWN", State.UNKNOWN, False, "", ""),
]


@with_sandbox
@pytest.mark.parametrize(
    ("mode", "logged", "http_status", "outcome", "status", "retryable", "code", "raw"),
    FAULTS,
    ids=[fault[0] for fault in FAULTS],
)
def test_a_misbehaving_provider_is_recorded_with_the_right_outcome(
    sandbox: str,
    volc_settings: Any,
    preparer: User,
    reviewer: User,
    auditor: User,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    logged: int,
    http_status: int | None,
    outcome: str,
    status: str,
    retryable: bool,
    code: str,
    raw: str | None,
) -> None:
    filing = builders.approved_filing(preparer, reviewer)
    SandboxConfig.objects.update_or_create(pk=1, defaults={"mode": mode, "stall_seconds": 1.5})
    volc_settings.VOLC_READ_TIMEOUT = 0.5 if mode == "stall" else 5.0
    seq = head()

    submission = sending.filing_send(actor=reviewer, filing=filing)

    filing.refresh_from_db()
    assert (filing.status, filing.sending_started_at) == (status, None)
    assert filing.approved_hash == submission.content_hash != ""
    assert (submission.outcome, submission.http_status) == (outcome, http_status)
    assert (submission.retryable, submission.error_code) == (retryable, code)
    # Exactly one request arrived, and it is the one recorded.
    [arrived] = SandboxRequest.objects.all()
    assert arrived.http_status == logged
    digest = hashlib.sha256(submission.request_body.encode()).hexdigest()
    assert arrived.body_sha256 == submission.request_sha256 == digest
    assert submission.request_headers["Authorization"].endswith("Signature=***")
    # What Volcengine (or whatever answered) said is kept as it came.
    if raw is None:
        envelope = json.loads(submission.response_body)["ResponseMetadata"]
        assert submission.provider_request_id == envelope["RequestId"] != ""
        assert (envelope["Error"]["Code"], envelope["Error"]["Message"]) == (
            code,
            submission.error_message,
        )
    else:
        assert (submission.response_body, submission.provider_request_id) == (raw, "")
    if mode == "stall":
        assert "timed out" in submission.transport_error.lower()
    sent, answered = events_after(seq)
    assert (sent.kind, answered.kind) == ("submission.sent", "submission.response")
    assert sent.data["body_sha256"] == submission.request_sha256
    assert (answered.target_type, answered.target_id) == ("submission", str(submission.pk))
    assert answered.data["outcome"] == outcome
    assert answered.data["status"] == status
    assert answered.data["http_status"] == http_status
    assert answered.data["request_id"] == submission.provider_request_id
    assert answered.data["retryable"] is retryable
    # Never sent again by itself: a second send is refused and nothing more arrives.
    with pytest.raises(errors.StaleState):
        sending.filing_send(actor=reviewer, filing=filing)
    assert SandboxRequest.objects.count() == 1
    assert Submission.objects.count() == 1
    # The auditor's page shows the raw answer as text, never as markup.
    auditor_client = Client()
    auditor_client.force_login(auditor)
    page = auditor_client.get(reverse("admin:filings_submission_change", args=[submission.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    if raw:
        assert html.escape(raw) in content
        assert raw not in content
    assert verify_chain().ok
    assert_secrets_kept(caplog, content)


def test_a_name_that_does_not_resolve_is_not_sent_and_the_filing_stays_approved(
    volc_settings: Any, preparer: User, reviewer: User, caplog: pytest.LogCaptureFixture
) -> None:
    filing = builders.approved_filing(preparer, reviewer)
    volc_settings.VOLC_VMS_ENDPOINT = "http://nonexistent.invalid/"
    approved_hash, seq = filing.approved_hash, head()

    submission = sending.filing_send(actor=reviewer, filing=filing)

    filing.refresh_from_db()
    assert (filing.status, filing.sending_started_at) == (State.APPROVED, None)
    assert filing.approved_hash == approved_hash  # still approved: it can be sent once fixed
    assert (submission.outcome, submission.retryable, submission.http_status) == (
        "NOT_SENT",
        True,
        None,
    )
    assert submission.endpoint == "http://nonexistent.invalid/"
    assert submission.transport_error.startswith("ConnectionError:")
    assert "nonexistent.invalid" in submission.transport_error
    assert submission.response_body == submission.provider_request_id == ""
    sent, answered = events_after(seq)
    assert (sent.kind, answered.kind) == ("submission.sent", "submission.response")
    assert answered.data["outcome"] == "NOT_SENT"
    assert answered.data["status"] == State.APPROVED
    # The Submission keeps the first 300 characters of the error; the audit event all of it.
    assert answered.data["message"].startswith(submission.transport_error)
    assert "Failed to resolve 'nonexistent.invalid'" in answered.data["message"]
    assert not SandboxRequest.objects.exists()
    assert_secrets_kept(caplog)


# --- the database fails between the send and its record -------------------------------------------


@with_sandbox
def test_a_database_failure_after_the_send_leaves_it_sending_until_reconciled_and_resolved(
    sandbox: str,
    preparer: User,
    reviewer: User,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    filing = builders.approved_filing(preparer, reviewer)
    seq = head()

    def connection_lost(**fields: Any) -> Submission:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Submission.objects, "create", connection_lost)
    with pytest.raises(OperationalError) as caught:
        sending.filing_send(actor=reviewer, filing=filing)
    monkeypatch.undo()
    failure = "".join(traceback.format_exception(caught.value))

    # Sent exactly once, the start is recorded, the result is not: the filing stays SENDING.
    filing.refresh_from_db()
    assert filing.status == State.SENDING
    assert filing.sending_started_at is not None
    assert not Submission.objects.exists()
    [arrived] = SandboxRequest.objects.all()
    assert (arrived.http_status, arrived.answer_code) == (200, "0")
    [sent] = events_after(seq)
    assert sent.kind == "submission.sent"
    assert sent.data["body_sha256"] == arrived.body_sha256
    # What came back is in the log: the outcome and Volcengine's RequestId.
    [said] = [r.getMessage() for r in caplog.records if r.name == "filings.volc.client"]
    match = re.fullmatch(r"Click2CallCompanyAuth ACCEPTED status=200 request_id=(\w+) code=0", said)
    assert match, said
    # Trying again cannot send it a second time.
    with pytest.raises(errors.StaleState):
        sending.filing_send(actor=reviewer, filing=filing)
    assert SandboxRequest.objects.count() == 1

    out = io.StringIO()
    call_command("reconcile_sending", "--as", reviewer.username, "--minutes", "0", stdout=out)

    assert out.getvalue().strip() == f"moved to UNKNOWN: {filing.pk}"
    filing.refresh_from_db()
    assert filing.status == State.UNKNOWN
    assert filing.sending_started_at is None
    reconciled = events_after(sent.seq)[-1]
    assert (reconciled.kind, reconciled.actor_id) == ("filing.reconciled", reviewer.pk)
    assert reconciled.data == {"status": "UNKNOWN", "reason": "stuck in SENDING; outcome unknown"}

    # A reviewer settles it from outside evidence (the RequestId in the log), in the admin.
    note = f"Volcengine support ticket 4711: RequestId {match.group(1)} was received and accepted."
    client = Client()
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:filings_filing_act", args=[filing.pk, "resolve_submitted"]),
        {"note": note},
    )

    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == State.SUBMITTED
    assert [e.kind for e in events_after(seq)] == [
        "submission.sent",
        "filing.reconciled",
        "filing.resolved",
    ]
    resolved = events_after(seq)[-1]
    assert (resolved.actor_id, resolved.data) == (
        reviewer.pk,
        {"status": "SUBMITTED", "note": note},
    )
    assert SandboxRequest.objects.count() == 1
    assert not Submission.objects.exists()
    assert verify_chain().ok
    assert_secrets_kept(caplog, failure, str(caught.value))
