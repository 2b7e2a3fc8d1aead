"""The document services: what an upload, a replacement or a removal stores and writes (exact
audit rows) and that a refused call (no permission, not a picture) changes nothing at all."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from filings import errors
from filings.models import Document, Filing
from filings.services.documents import (
    Upload,
    document_remove,
    document_upload,
    document_upload_sides,
)
from filings.storage import read_object
from tests.audit_rows import events_after, head, row, sha
from tests.builders import KINDS, fresh
from tests.builders import image as jpeg
from tests.imagecorpus import jpeg_bytes, png_bytes, text_bytes
from tests.snapshots import refused, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


# --- helpers


def describe(document: Document, data: bytes, width: int, height: int) -> dict[str, Any]:
    """What an upload event says about one file, from the bytes that were uploaded."""
    return {
        "part": document.part,
        "document": str(document.uuid),
        "original_name": document.original_name,
        "api_filename": document.api_filename,
        "sha256": sha(data),
        "size": len(data),
        "pixels": f"{width}x{height}",
    }


# --- documents


def test_document_upload_records_the_file(preparer: User, draft: Filing) -> None:
    data = jpeg(0)
    start = head()

    document = document_upload(
        actor=preparer, filing=draft, kind="businessLicense", upload=Upload("执照.PNG", data)
    )

    document.refresh_from_db()
    # The type comes from the content: a JPEG named .PNG is sent as .jpg.
    assert (document.original_name, document.api_filename) == ("执照.PNG", "执照.jpg")
    assert (document.content_type, document.sha256, document.size) == (
        "image/jpeg",
        sha(data),
        len(data),
    )
    assert (document.part, document.uploaded_by, document.superseded_at) == ("main", preparer, None)
    assert read_object(document.storage_key) == data
    assert "执照" not in document.storage_key
    assert events_after(start) == [
        row(
            "document.uploaded",
            preparer,
            "document",
            document.pk,
            filing=draft,
            data={
                "kind": "businessLicense",
                "files": [describe(document, data, 320, 200)],
                "replaced": [],
            },
        )
    ]


def test_document_upload_replaces_and_keeps_the_old_one(
    preparer: User, preparer2: User, draft: Filing
) -> None:
    old = document_upload(
        actor=preparer, filing=draft, kind="businessLicense", upload=Upload("a.jpg", jpeg(1))
    )
    new_data = png_bytes(90, 60)
    start = head()

    new = document_upload(
        actor=preparer2, filing=draft, kind="businessLicense", upload=Upload("b.png", new_data)
    )

    old.refresh_from_db()
    assert old.superseded_at is not None
    assert read_object(old.storage_key) == jpeg(1)
    assert read_object(new.storage_key) == new_data
    assert list(draft.documents.filter(superseded_at__isnull=True)) == [new]
    assert fresh(draft).updated_by == preparer2
    assert events_after(start) == [
        row(
            "document.replaced",
            preparer2,
            "document",
            new.pk,
            filing=draft,
            data={
                "kind": "businessLicense",
                "files": [describe(new, new_data, 90, 60)],
                "replaced": [str(old.uuid)],
            },
        )
    ]


def test_document_upload_sides_stores_the_composed_image_and_both_sides(
    preparer: User, draft: Filing
) -> None:
    front, back = jpeg_bytes(400, 250), png_bytes(300, 190)
    start = head()

    main = document_upload_sides(
        actor=preparer,
        filing=draft,
        kind="proprietorIdcard",
        front=Upload("front.jpg", front),
        back=Upload("back.png", back),
    )

    current = {d.part: d for d in draft.documents.filter(superseded_at__isnull=True)}
    assert set(current) == {"main", "front", "back"}
    assert current["main"] == main
    composed = read_object(main.storage_key)
    assert main.sha256 == sha(composed)
    assert main.api_filename == "proprietorIdcard-front-back.jpg"
    assert read_object(current["front"].storage_key) == front
    assert read_object(current["back"].storage_key) == back
    assert events_after(start) == [
        row(
            "document.uploaded",
            preparer,
            "document",
            main.pk,
            filing=draft,
            data={
                "kind": "proprietorIdcard",
                "files": [
                    describe(main, composed, main.width, main.height),
                    describe(current["front"], front, 400, 250),
                    describe(current["back"], back, 300, 190),
                ],
                "replaced": [],
            },
        )
    ]
    # Replacing the two-sided card with one combined image supersedes all three parts.
    start = head()
    single = document_upload(
        actor=preparer, filing=draft, kind="proprietorIdcard", upload=Upload("c.jpg", jpeg(3))
    )
    assert list(draft.documents.filter(superseded_at__isnull=True)) == [single]
    [event] = events_after(start)
    assert event["kind"] == "document.replaced"
    assert sorted(event["data"]["replaced"]) == sorted(str(d.uuid) for d in current.values())


def test_document_remove_records_every_part_removed(
    preparer: User, preparer2: User, draft: Filing
) -> None:
    main = document_upload_sides(
        actor=preparer,
        filing=draft,
        kind="operatorIdcard",
        front=Upload("f.jpg", jpeg(1)),
        back=Upload("b.jpg", jpeg(2)),
    )
    parts = list(draft.documents.all())
    start = head()

    document_remove(actor=preparer2, filing=draft, kind="operatorIdcard")

    assert not draft.documents.filter(superseded_at__isnull=True).exists()
    assert Document.objects.filter(filing=draft).count() == 3  # kept for history
    assert fresh(draft).updated_by == preparer2
    [event] = events_after(start)
    assert sorted(event["data"].pop("removed")) == sorted(str(d.uuid) for d in parts)
    assert event == row(
        "document.removed",
        preparer2,
        "document",
        main.pk,
        filing=draft,
        data={"kind": "operatorIdcard"},
    )
    # Removing a kind that has nothing current is a no-op.
    before = snapshot()
    document_remove(actor=preparer2, filing=draft, kind="operatorIdcard")
    assert snapshot() == before


def test_document_services_need_the_permission(
    preparer: User, reviewer: User, auditor: User, draft: Filing
) -> None:
    document_upload(actor=preparer, filing=draft, kind=KINDS[0], upload=Upload("a.jpg", jpeg(0)))
    upload = Upload("x.jpg", jpeg(5))
    for actor in (reviewer, auditor):
        # Refused before or after the object is stored: nothing may be left in the store.
        refused(
            errors.NotPermitted,
            lambda a=actor: document_upload(actor=a, filing=draft, kind=KINDS[0], upload=upload),
        )
        refused(
            errors.NotPermitted,
            lambda a=actor: document_upload_sides(
                actor=a, filing=draft, kind=KINDS[1], front=upload, back=upload
            ),
        )
        refused(
            errors.NotPermitted,
            lambda a=actor: document_remove(actor=a, filing=draft, kind=KINDS[0]),
        )


def test_document_upload_refuses_what_is_not_a_picture(preparer: User, draft: Filing) -> None:
    refused(
        ValidationError,
        lambda: document_upload(
            actor=preparer, filing=draft, kind=KINDS[0], upload=Upload("a.jpg", text_bytes())
        ),
    )
    refused(
        ValidationError,
        lambda: document_upload_sides(
            actor=preparer,
            filing=draft,
            kind=KINDS[1],
            front=Upload("f.jpg", jpeg(0)),
            back=Upload("b.jpg", text_bytes()),
        ),
    )
