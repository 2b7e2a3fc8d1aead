"""What is stored (and fetched by Volcengine) is the picture only: no EXIF/GPS, XMP, IPTC,
comments or trailing bytes, turned upright, with its ICC profile; the Document describes the
stored bytes. Uploads go through the real services, the admin view and filesystem storage.
"""

import hashlib
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import resolve, reverse
from PIL import Image

from filings.content import current_documents
from filings.models import AuditEvent, Document, Filing
from filings.services import editing, review, sending
from filings.services.documents import Upload, document_upload, document_upload_sides
from filings.storage import document_uuid_from_fetch_token, read_object
from tests import builders, imagecorpus

pytestmark = pytest.mark.django_db

LICENCE = Document.Kind.BUSINESS_LICENSE
IN_HAND = Document.Kind.OPERATOR_IDCARD_INHAND
PROPRIETOR = Document.Kind.PROPRIETOR_IDCARD

PHONE_PHOTOS = [
    pytest.param("手持证件.jpg", imagecorpus.jpeg_with_metadata(80, 40), "JPEG", id="jpeg"),
    pytest.param("手持证件.png", imagecorpus.png_with_metadata(80, 40), "PNG", id="png"),
]


@pytest.fixture
def draft(preparer: User) -> Filing:
    return editing.filing_create(
        actor=preparer,
        company=builders.company(preparer),
        callee_source="网站",
        business_carrier="火山示例科技有限公司",
    )


def icc_profile(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return bytes(image.info["icc_profile"])


def assert_stored_clean(document: Document, *, size: tuple[int, int], icc: bytes) -> bytes:
    """The stored object has no metadata, is `size` pixels as stored, keeps `icc`, and the
    Document's size, pixels and SHA-256 are those of the stored bytes."""
    stored = read_object(document.storage_key)
    imagecorpus.assert_no_metadata(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == size
        assert image.info["icc_profile"] == icc
    assert document.size == len(stored)
    assert document.sha256 == hashlib.sha256(stored).hexdigest()
    assert (document.width, document.height) == size
    return stored


@pytest.mark.parametrize(("name", "data", "image_format"), PHONE_PHOTOS)
def test_single_upload_is_stored_without_metadata_upright_with_its_profile(
    preparer: User, draft: Filing, name: str, data: bytes, image_format: str
) -> None:
    document = document_upload(
        actor=preparer, filing=draft, kind=IN_HAND, upload=Upload(name, data)
    )

    document.refresh_from_db()
    stored = assert_stored_clean(document, size=(40, 80), icc=icc_profile(data))
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == image_format
        # Orientation 6: the stored top-left (red) quadrant is now at the top right.
        top_right = image.convert("RGB").getpixel((30, 10))
    assert isinstance(top_right, tuple)
    assert top_right == pytest.approx((255, 0, 0), abs=40)
    event = AuditEvent.objects.get(kind="document.uploaded", target_id=str(document.pk))
    [described] = event.data["files"]
    assert (described["sha256"], described["size"], described["pixels"]) == (
        document.sha256,
        len(stored),
        "40x80",
    )


@pytest.mark.parametrize(("name", "data", "image_format"), PHONE_PHOTOS)
def test_upload_through_the_documents_page_is_stored_clean(
    client: Client, preparer: User, draft: Filing, name: str, data: bytes, image_format: str
) -> None:
    client.force_login(preparer)

    response = client.post(
        reverse("admin:filings_filing_document_upload", args=[draft.pk]),
        {"kind": LICENCE, "image": io.BytesIO(data)},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )

    assert response.status_code == 200, response.content
    document = Document.objects.get(filing=draft)
    stored = assert_stored_clean(document, size=(40, 80), icc=icc_profile(data))
    answer = response.json()["document"]
    assert (answer["sha256"], answer["size"], answer["pixels"]) == (
        hashlib.sha256(stored).hexdigest(),
        len(stored),
        "40×80",
    )


def test_front_and_back_originals_and_the_composition_are_stored_clean(
    preparer: User, draft: Filing
) -> None:
    front = imagecorpus.jpeg_with_metadata(80, 40, orientation=6)
    back = imagecorpus.png_with_metadata(90, 60, orientation=1)

    document_upload_sides(
        actor=preparer,
        filing=draft,
        kind=PROPRIETOR,
        front=Upload("正面.jpg", front),
        back=Upload("反面.png", back),
    )

    parts = {d.part: d for d in draft.documents.filter(kind=PROPRIETOR)}
    assert_stored_clean(parts[Document.Part.FRONT], size=(40, 80), icc=icc_profile(front))
    assert_stored_clean(parts[Document.Part.BACK], size=(90, 60), icc=icc_profile(back))
    composed = read_object(parts[Document.Part.MAIN].storage_key)
    imagecorpus.assert_no_metadata(composed)
    assert parts[Document.Part.MAIN].sha256 == hashlib.sha256(composed).hexdigest()


def test_the_body_sent_to_volcengine_points_at_clean_bytes(
    preparer: User, reviewer: User, volc_settings: Any, tmp_path: Path
) -> None:
    filing = builders.complete_filing(preparer)
    photos = {
        IN_HAND: imagecorpus.jpeg_with_metadata(80, 40),
        LICENCE: imagecorpus.png_with_metadata(80, 40),
    }
    for kind, data in photos.items():
        document_upload(actor=preparer, filing=filing, kind=kind, upload=Upload("p", data))
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing.refresh_from_db()

    payload = json.loads(sending.prepare_send(filing).body)

    present = current_documents(filing)
    for kind in photos:
        url = payload[f"{kind}PicUrl"]
        token = resolve(urlsplit(url).path).kwargs["token"]
        document = Document.objects.get(uuid=document_uuid_from_fetch_token(token))
        assert document == present[kind]
        imagecorpus.assert_no_metadata(read_object(document.storage_key))
    for document in present.values():
        imagecorpus.assert_no_metadata(read_object(document.storage_key))
