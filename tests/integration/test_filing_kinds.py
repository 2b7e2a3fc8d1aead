"""The generic workflow works for any filing kind: a second, made-up kind put in place of
`kinds.kind_of` gets its own documents, content hash, pre-flight checks, request body and Action,
and is sent exactly once with its Submission and audit events, with no other code changed."""

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from filings import errors, kinds
from filings.content import content_hash, current_documents, filing_content
from filings.kinds import COMPANY_FILING, Check, Documents, FilingKind
from filings.models import AuditEvent, Document, Filing
from filings.preflight import content_checks, sending_checks
from filings.services import editing, review, sending
from filings.services.documents import Upload, document_upload
from tests.builders import fresh, image

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("volc_settings")]

LETTER = Document.Kind.NETWORK_ACCESS_LETTER.value
LICENCE = Document.Kind.BUSINESS_LICENSE.value
ACTION = "FakeNumberAuth"
KIND_OF = kinds.kind_of  # the real one, before each test puts the made-up kind in its place


def fake_content(filing: Filing, documents: Documents) -> dict[str, Any]:
    return {"usage": filing.callee_source}


def fake_checks(filing: Filing, documents: Documents) -> list[Check]:
    filled = bool(filing.callee_source.strip())
    return [Check("usage", filled, "Usage: filled in" if filled else "Usage: not filled in")]


def fake_body(filing: Filing, documents: Documents, urls: Mapping[str, str]) -> dict[str, Any]:
    return {
        "usage": filing.callee_source,
        "letterUrl": urls[LETTER],
        "letterName": documents[LETTER].api_filename,
        "licenceUrl": urls[LICENCE],
    }


FAKE_FILING = FilingKind(
    name="fake",
    api_action=ACTION,
    document_kinds=(LETTER, LICENCE),
    content=fake_content,
    checks=fake_checks,
    body=fake_body,
    fields=("callee_source", "business_carrier"),
)


@pytest.fixture(autouse=True)
def fake_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every filing is of the made-up kind."""
    monkeypatch.setattr(kinds, "kind_of", lambda filing: FAKE_FILING)


@dataclass
class Endpoint:
    """A stand-in for Volcengine that accepts every request and keeps what arrived."""

    url: str = ""
    arrived: list[tuple[str, bytes]] = field(default_factory=list)


@pytest.fixture
def endpoint(volc_settings: Any) -> Iterator[Endpoint]:
    received = Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.arrived.append((self.path, body))
            answer = json.dumps(
                {
                    "ResponseMetadata": {"RequestId": "20260101120000FAKEKIND000000001"},
                    "Result": {"code": "0", "message": "成功", "requestId": "r-1"},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/"
    volc_settings.VOLC_VMS_ENDPOINT = received.url
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def fake_filing(preparer: User, *, usage: str = "营销外呼") -> Filing:
    """A draft of the made-up kind: its text field and its two documents, no call scripts."""
    company = editing.company_create(
        actor=preparer, name="火山示例科技有限公司", credit_code="91350100M000100Y43"
    )
    filing = editing.filing_create(
        actor=preparer, company=company, callee_source=usage, business_carrier=""
    )
    for seed, kind in enumerate(FAKE_FILING.document_kinds):
        document_upload(
            actor=preparer, filing=filing, kind=kind, upload=Upload(f"{kind}.jpg", image(seed))
        )
    return fresh(filing)


def test_the_content_hash_covers_the_kinds_fields_and_documents(preparer: User) -> None:
    filing = fake_filing(preparer)
    documents = current_documents(filing)

    assert filing_content(filing) == {
        "usage": "营销外呼",
        "documents": {
            kind: {"sha256": documents[kind].sha256, "filename": documents[kind].api_filename}
            for kind in (LETTER, LICENCE)
        },
    }
    before = content_hash(filing)
    editing.script_add(actor=preparer, filing=filing, scene="快递", content="不属于此类报备")
    assert content_hash(fresh(filing)) == before  # not one of the kind's fields
    editing.filing_update(
        actor=preparer, filing=filing, callee_source="客服回访", business_carrier=""
    )
    assert content_hash(fresh(filing)) != before


def test_only_the_kinds_documents_can_be_uploaded(preparer: User) -> None:
    filing = fake_filing(preparer)

    with pytest.raises(errors.FilingsError) as refused:
        document_upload(
            actor=preparer,
            filing=filing,
            kind=Document.Kind.PROPRIETOR_IDCARD.value,
            upload=Upload("id.jpg", image(5)),
        )

    assert refused.value.message == str(errors.UNKNOWN_DOCUMENT_KIND)
    assert set(current_documents(filing)) == {LETTER, LICENCE}


def test_pre_flight_is_the_kinds_documents_then_its_own_checks(preparer: User) -> None:
    filing = fake_filing(preparer, usage=" ")
    filing.documents.filter(kind=LICENCE).update(superseded_at=filing.updated_at)
    filing.document_links.filter(kind=LICENCE).update(removed_at=filing.updated_at)

    checks = content_checks(fresh(filing))

    assert [(check.code, check.ok) for check in checks] == [
        (f"document.{LETTER}", True),
        (f"document.{LICENCE}", False),
        ("usage", False),
    ]
    codes = [check.code for check in sending_checks(fresh(filing))]
    assert codes[-2:] == ["credentials", "urls"]  # what every send needs stays generic


def test_the_documents_page_and_the_list_show_the_kinds_documents(
    preparer: User, client: Client
) -> None:
    filing = fake_filing(preparer)
    client.force_login(preparer)

    page = client.get(reverse("admin:filings_filing_documents", args=[filing.pk]))
    listing = client.get(reverse("admin:filings_filing_changelist"))

    assert [slot["kind"] for slot in page.context["slots"]] == [LETTER, LICENCE]
    assert "2/2" in listing.content.decode()
    removed = client.post(
        reverse("admin:filings_filing_document_remove", args=[filing.pk]),
        {"kind": Document.Kind.OPERATOR_IDCARD.value},
    )
    assert removed.status_code == 400


def test_a_filing_of_the_kind_is_approved_and_sent_once_with_its_body_and_action(
    endpoint: Endpoint, preparer: User, reviewer: User
) -> None:
    filing = fake_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing = fresh(filing)

    prepared = sending.prepare_send(filing)
    body = json.loads(prepared.body)
    assert prepared.action == ACTION
    assert prepared.url == f"{endpoint.url}?Action={ACTION}&Version=2022-01-01"
    assert list(body) == ["usage", "letterUrl", "letterName", "licenceUrl"]
    assert body["usage"] == "营销外呼"
    assert body["letterName"] == current_documents(filing)[LETTER].api_filename

    submission = sending.filing_send(actor=reviewer, filing=filing)

    assert fresh(filing).status == Filing.Status.SUBMITTED
    assert submission.content_hash == filing.approved_hash == content_hash(filing)
    ((path, sent),) = endpoint.arrived
    assert parse_qs(urlsplit(path).query)["Action"] == [ACTION]
    assert submission.request_body == sent.decode()
    assert list(json.loads(sent)) == ["usage", "letterUrl", "letterName", "licenceUrl"]
    started = AuditEvent.objects.get(filing=filing, kind="submission.sent")
    assert started.data["action"] == ACTION
    assert started.data["content_hash"] == submission.content_hash
    assert AuditEvent.objects.filter(filing=filing, kind="submission.response").count() == 1


def test_the_company_kind_is_what_every_filing_is_today() -> None:
    assert KIND_OF(Filing()) is COMPANY_FILING
    assert COMPANY_FILING.api_action == "Click2CallCompanyAuth"
    assert set(COMPANY_FILING.document_kinds) == set(Document.Kind.values) - {
        Document.Kind.BUSINESS_USAGE_LETTER
    }
