"""What Volcengine answered is never lost: a response that arrives after the filing left SENDING
(the reconciler gave up on a slow send) is still recorded, with its RequestId and an event of its
own. The send's two transactions cannot be nested in an outer one."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Max

from filings.models import AuditEvent, Filing, Submission
from filings.services import review, sending
from tests.builders import approved_filing
from tests.snapshots import snapshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("volc_settings")]

REQUEST_ID = "20260101120000SLOWSEND0000000001"
EVENT_FIELDS = ("kind", "actor_id", "target_type", "target_id", "filing_id", "data")


@dataclass
class SlowEndpoint:
    """A stand-in for Volcengine that holds each request until the test releases it."""

    url: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: int = 0


@pytest.fixture
def slow(volc_settings: Any) -> Iterator[SlowEndpoint]:
    endpoint = SlowEndpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            endpoint.requests += 1
            endpoint.arrived.set()
            endpoint.release.wait(30)
            body = json.dumps(
                {
                    "ResponseMetadata": {
                        "RequestId": REQUEST_ID,
                        "Action": "Click2CallCompanyAuth",
                        "Version": "2022-01-01",
                        "Service": "vms",
                        "Region": "cn-beijing",
                    },
                    "Result": {"code": "0", "message": "成功", "requestId": "r-1"},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/"
    volc_settings.VOLC_VMS_ENDPOINT = endpoint.url
    volc_settings.VOLC_READ_TIMEOUT = 20.0
    try:
        yield endpoint
    finally:
        endpoint.release.set()
        server.shutdown()
        server.server_close()


def head() -> int:
    return int(AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0)


def events_after(seq: int) -> list[dict[str, Any]]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values(*EVENT_FIELDS))


def send_in_background(actor: User, filing: Filing) -> tuple[threading.Thread, dict[str, object]]:
    """filing_send in its own thread and connection; the outcome lands in the returned dict."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = sending.filing_send(actor=actor, filing=filing)
        except BaseException as exc:  # handed back to the test to assert on
            outcome["result"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def late_response(
    actor: User, submission: Submission, filing: Filing, status: str
) -> dict[str, Any]:
    return {
        "kind": "submission.late_response",
        "actor_id": actor.pk,
        "target_type": "submission",
        "target_id": str(submission.pk),
        "filing_id": filing.pk,
        "data": {
            "outcome": "ACCEPTED",
            "status": status,
            "http_status": 200,
            "request_id": REQUEST_ID,
            "error_code": "",
            "result_code": "0",
            "message": "成功",
            "retryable": False,
        },
    }


def test_a_response_after_reconcile_keeps_the_submission_and_its_request_id(
    slow: SlowEndpoint, preparer: User, reviewer: User, reviewer2: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    thread, outcome = send_in_background(reviewer, filing)
    assert slow.arrived.wait(20)
    start = head()  # the send has started: submission.sent is written

    # The reconciler takes the slow send for a dead one.
    assert sending.reconcile_sending(actor=reviewer2, older_than=timedelta(seconds=-60)) == [
        filing.pk
    ]
    slow.release.set()
    thread.join(30)

    assert not thread.is_alive()
    submission = outcome["result"]
    assert isinstance(submission, Submission), submission
    stored = Submission.objects.get()
    assert stored.pk == submission.pk
    assert (stored.outcome, stored.http_status, stored.provider_request_id) == (
        "ACCEPTED",
        200,
        REQUEST_ID,
    )
    assert stored.content_hash == filing.approved_hash
    # The state stays for a reviewer to resolve, now with the evidence at hand.
    filing.refresh_from_db()
    assert (filing.status, filing.sending_started_at) == ("UNKNOWN", None)
    assert events_after(start) == [
        {
            "kind": "filing.reconciled",
            "actor_id": reviewer2.pk,
            "target_type": "filing",
            "target_id": str(filing.pk),
            "filing_id": filing.pk,
            "data": {"status": "UNKNOWN", "reason": "stuck in SENDING; outcome unknown"},
        },
        late_response(reviewer, stored, filing, "UNKNOWN"),
    ]
    assert slow.requests == 1


def test_a_late_response_does_not_settle_a_later_send(
    slow: SlowEndpoint, preparer: User, reviewer: User, reviewer2: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    thread, outcome = send_in_background(reviewer, filing)
    assert slow.arrived.wait(20)
    sending.reconcile_sending(actor=reviewer2, older_than=timedelta(seconds=-60))
    # Wrongly settled as "never arrived", and sent again: the filing is SENDING once more.
    review.filing_resolve(actor=reviewer2, filing=filing, status="APPROVED", note="工单：未收到")
    again = sending.filing_start_sending(reviewer2, filing.pk)
    start = head()

    slow.release.set()
    thread.join(30)

    submission = outcome["result"]
    assert isinstance(submission, Submission), submission
    filing.refresh_from_db()
    assert filing.status == Filing.Status.SENDING
    assert filing.sending_started_at == again.filing.sending_started_at
    assert events_after(start) == [late_response(reviewer, submission, filing, "SENDING")]


def test_filing_send_refuses_to_run_inside_an_outer_transaction(
    slow: SlowEndpoint, preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    before = snapshot()

    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        sending.filing_send(actor=reviewer, filing=filing)

    assert snapshot() == before
    assert slow.requests == 0
