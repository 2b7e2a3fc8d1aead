"""documents_upload, the several kinds of one import row in one call: the same documents, links
and audit events as one document_upload / document_upload_sides per kind, in fewer queries."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from filings.imports import processing
from filings.imports.models import ImportRow
from filings.models import Document, Filing, FilingDocument
from filings.services.documents import (
    KindUpload,
    Upload,
    document_upload,
    document_upload_sides,
    documents_upload,
)
from filings.workflow import State
from tests import import_builders as build
from tests.audit_rows import events_after, head
from tests.builders import KINDS, VALID_CODES, approved_filing, fresh
from tests.imagecorpus import jpeg_bytes, png_bytes, text_bytes
from tests.integration.test_imports import confirm, preview, row_at
from tests.snapshots import refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

SIDED = sorted(Document.TWO_SIDED_KINDS)


def uploads() -> list[KindUpload]:
    """New images for the six kinds, the ID cards as front and back."""
    items = []
    for index, kind in enumerate(KINDS):
        if kind in Document.TWO_SIDED_KINDS:
            items.append(
                KindUpload(
                    kind,
                    front=Upload(f"{kind}-f.jpg", jpeg_bytes(400 + index, 250)),
                    back=Upload(f"{kind}-b.png", png_bytes(300 + index, 190)),
                )
            )
        else:
            image = Upload(f"{kind}.jpg", jpeg_bytes(200 + index, 90))
            items.append(KindUpload(kind, upload=image))
    return items


def one_by_one(actor: User, filing: Filing, items: list[KindUpload], valid_until: Any) -> None:
    for item in items:
        if item.upload is not None:
            document_upload(
                actor=actor,
                filing=filing,
                kind=item.kind,
                upload=item.upload,
                valid_until=valid_until,
            )
        else:
            assert item.front is not None
            assert item.back is not None
            document_upload_sides(
                actor=actor,
                filing=filing,
                kind=item.kind,
                front=item.front,
                back=item.back,
                valid_until=valid_until,
            )


def comparable(events: list[dict[str, Any]], filing: Filing) -> list[dict[str, Any]]:
    """The events with the document uuids and ids, the filing id and the approval's hash (which
    differ between two filings) named by what they stand for."""
    names = {}
    for document in Document.objects.filter(filing=filing):
        state = "old" if document.superseded_at else "new"
        name = f"{state} {document.kind}/{document.part}"
        names[str(document.uuid)] = name
        names[str(document.pk)] = name

    def named(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: named(item) for key, item in value.items()}
        if isinstance(value, list):
            return [named(item) for item in value]
        if isinstance(value, str):
            return names.get(value, value)
        return value

    out = []
    for event in events:
        event = {**event, "filing_id": "F" if event["filing_id"] == filing.pk else "?"}
        if event["target_type"] == "filing":
            event["target_id"] = "F" if event["target_id"] == str(filing.pk) else "?"
        if "approved_hash" in event["data"]:
            event["data"] = {**event["data"], "approved_hash": "H"}
        data = event["data"]
        if "replaced" in data:
            data = {**data, "replaced": sorted(named(data["replaced"]))}
        out.append({**named(event), "data": named(data)})
    return out


def test_documents_upload_writes_what_one_upload_per_kind_writes(
    preparer: User, reviewer: User
) -> None:
    """Replacing all six documents of an approved filing: the same documents, links and events,
    in the same order (the approval is voided after the first kind's event)."""
    valid_until = timezone.localdate() + timedelta(days=30)
    single = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    start = head()
    one_by_one(preparer, single, uploads(), valid_until)
    single_events = comparable(events_after(start), single)

    together = approved_filing(preparer, reviewer, code=VALID_CODES[2])
    start = head()
    mains = documents_upload(
        actor=preparer, filing=together, uploads=uploads(), valid_until=valid_until
    )
    together_events = comparable(events_after(start), together)

    assert together_events == single_events
    assert [e["kind"] for e in together_events] == [
        "document.replaced",
        "filing.approval_voided",
        *["document.replaced"] * (len(KINDS) - 1),
    ]
    assert [(m.kind, m.part) for m in mains] == [(kind, "main") for kind in KINDS]
    assert fresh(together).status == State.DRAFT

    def held(filing: Filing) -> list[tuple[Any, ...]]:
        return sorted(
            (d.kind, d.part, d.original_name, d.sha256, d.valid_until, d.superseded_at is None)
            for d in Document.objects.filter(filing=filing)
        )

    def links(filing: Filing) -> list[tuple[Any, ...]]:
        return sorted(
            (link.kind, link.part, link.document.kind, link.document.part, link.removed_at is None)
            for link in FilingDocument.objects.filter(filing=filing).select_related("document")
        )

    assert held(together) == held(single)
    assert links(together) == links(single)


def test_documents_upload_checks_every_image_before_storing_any(
    preparer: User, draft: Filing
) -> None:
    """A bad image of the last kind: refused, naming its field, and nothing stored or written."""
    items = uploads()
    last = items[-1]
    bad = KindUpload(last.kind, upload=Upload("x.jpg", text_bytes()))
    caught = refused(
        ValidationError,
        lambda: documents_upload(actor=preparer, filing=draft, uploads=[*items[:-1], bad]),
    )
    assert isinstance(caught, ValidationError)
    assert str(Document.Kind(last.kind).label) in " ".join(caught.messages)


def test_an_imported_row_stores_its_six_documents_in_few_queries(
    preparer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new company's row with six documents (ID cards as front and back: ten files). One
    upload per kind took 76 queries for them; one call for the row takes 27 (six audit events
    of about three queries each are most of them)."""
    code = next(build.credit_codes(40))
    run = preview(preparer, [build.row(code, 0)], build.document_files(code, sides=True))
    counted: list[int] = []
    upload = processing._upload

    def counting(*args: Any) -> None:
        with CaptureQueriesContext(connection) as queries:
            upload(*args)
        counted.append(len(queries))

    monkeypatch.setattr(processing, "_upload", counting)
    run = confirm(preparer, run)
    assert row_at(run, 2).outcome == ImportRow.Outcome.DONE
    filing = Filing.objects.get(company__credit_code=code)
    assert Document.objects.filter(filing=filing).count() == len(KINDS) + len(SIDED) * 2
    assert len(counted) == 1
    assert counted[0] <= 30
