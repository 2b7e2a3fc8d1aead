"""Hostile uploads and removals: each is answered with a clear 4xx or a JSON error (never a
500) and changes nothing; a hostile file name of a valid image is cleaned, the object is
stored under a random key and the name is shown escaped."""

import re
import unicodedata

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from filings.models import AuditEvent, Document
from tests.hostile import (
    CHOOSE_IMAGE,
    JPEG,
    LICENCE,
    MULTIPART,
    NOT_A_CHOICE,
    NOT_PERMITTED,
    PROPRIETOR,
    REQUIRED,
    UUID,
    XHR,
    Hostile,
    assert_refused_and_unchanged,
    filename,
    get,
    image,
    json_error,
    make_world,
    multipart,
    post,
    raw,
    refused,
    remove_url,
    status,
    upload,
    upload_url,
)
from tests.pages import assert_safe_page
from tests.snapshots import stored_objects

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hostile_settings")]


HOSTILE: list[Hostile] = [
    # --- uploads ----------------------------------------------------------------------------------
    Hostile(
        "upload-kind-path-traversal",
        "preparer",
        upload(b"../../../etc/passwd", [image()]),
        json_error("kind", NOT_A_CHOICE),
    ),
    Hostile(
        "upload-kind-sql",
        "preparer",
        upload(b"businessLicense' OR '1'='1", [image()]),
        json_error("kind", NOT_A_CHOICE),
    ),
    Hostile(
        "upload-kind-missing",
        "preparer",
        raw(upload_url, multipart({}, [image()]), MULTIPART, **XHR),
        json_error("kind", REQUIRED),
    ),
    Hostile(
        "upload-sides-for-a-one-sided-kind",
        "preparer",
        upload(b"businessLicense", [image(field="front"), image(field="back")]),
        json_error("__all__", "Only ID cards are uploaded as front and back."),
    ),
    Hostile(
        "upload-image-and-sides-together",
        "preparer",
        upload(PROPRIETOR.encode(), [image(), image(field="front"), image(field="back")]),
        json_error("__all__", "not both"),
    ),
    Hostile(
        "upload-back-side-alone",
        "preparer",
        upload(PROPRIETOR.encode(), [image(field="back")]),
        json_error("front", "Upload the other side too"),
    ),
    Hostile(
        "upload-file-name-invalid-utf8",
        "preparer",
        upload(b"businessLicense", [image(b"\xff\xfe\xfd.jpg")]),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-file-name-dot-dot",
        "preparer",
        upload(b"businessLicense", [image(b"..")]),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-file-name-only-bidi-and-controls",
        "preparer",
        upload(b"businessLicense", [image("\u202e\u2066\x07".encode())]),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-multipart-without-boundary",
        "preparer",
        raw(upload_url, multipart({"kind": b"businessLicense"}, [image()]), "multipart/form-data"),
        status(400, says="Bad Request (400)"),
    ),
    Hostile(
        "upload-multipart-cut-short",
        "preparer",
        raw(upload_url, multipart({"kind": b"businessLicense"}, [image()])[:300], MULTIPART, **XHR),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-101-files",
        "preparer",
        upload(b"businessLicense", [image(f"{i}.jpg".encode(), b"") for i in range(101)]),
        status(400, says="Bad Request (400)"),
    ),
    Hostile(
        "upload-1001-fields",
        "preparer",
        raw(
            upload_url,
            multipart({f"f{i}": b"x" for i in range(1001)}, [image()]),
            MULTIPART,
            **XHR,
        ),
        status(400, says="Bad Request (400)"),
    ),
    Hostile(
        "upload-to-a-filing-that-does-not-exist",
        "preparer",
        upload(
            b"businessLicense",
            [image()],
            url=lambda w: reverse("admin:filings_filing_document_upload", args=[999999]),
        ),
        status(404),
    ),
    Hostile(
        "upload-by-auditor",
        "auditor",
        upload(b"businessLicense", [image()]),
        json_error("__all__", NOT_PERMITTED),
    ),
    Hostile(
        "remove-unknown-kind",
        "preparer",
        post(remove_url, {"kind": "<script>alert(1)</script>"}),
        status(400, says="Unknown document kind."),
    ),
    Hostile(
        "remove-kind-sql",
        "preparer",
        post(remove_url, {"kind": "businessLicense' OR '1'='1"}),
        status(400, says="Unknown document kind."),
    ),
    Hostile("remove-by-get", "preparer", get(remove_url), status(405)),
    Hostile(
        "remove-by-auditor", "auditor", post(remove_url, {"kind": LICENCE}), refused(NOT_PERMITTED)
    ),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_hostile_request_is_refused_and_changes_nothing(
    case: Hostile, users: dict[str, User]
) -> None:
    assert_refused_and_unchanged(case, users)


# --- file names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name_parameter", "original", "sent"),
    [
        (
            b"filename*=UTF-8''..%2F..%2F..%2Fetc%2Fcron.d%2Fevil.jpg",
            "evil.jpg",
            "evil.jpg",
        ),
        (
            filename(b"&lt;img src=x onerror=alert(1)&gt;.jpg"),
            "<img src=x onerror=alert(1)>.jpg",
            # The name sent to Volcengine keeps no markup, shell or path characters.
            "_img src_x onerror_alert(1)_.jpg",
        ),
        (filename(b"shell.php\x00.png"), "shell.php.png", "shell.php.jpg"),
        (filename(b"\xe2\x80\xaeinvoice\xe2\x81\xa6.jpg"), "invoice.jpg", "invoice.jpg"),
        (filename(b" . . .jpg"), "jpg", "jpg.jpg"),
        (filename(("名" * 300 + ".jpeg").encode()), "名" * 115 + ".jpeg", "名" * 115 + ".jpeg"),
    ],
    ids=["rfc2231-traversal", "html-entities", "nul-double-extension", "bidi", "dots", "long"],
)
def test_hostile_file_name_is_cleaned_stored_under_a_random_key_and_shown_escaped(
    client: Client, preparer: User, name_parameter: bytes, original: str, sent: str
) -> None:
    world = make_world("draft", {"preparer": preparer, "reviewer": preparer})
    client.force_login(preparer)
    objects_before = stored_objects()

    response = upload(b"numberapplicationOfficialletter", [("image", name_parameter, JPEG)])(
        client, world
    )

    assert response.status_code == 200, response.content
    document = Document.objects.get(filing=world.draft, kind="numberapplicationOfficialletter")
    assert (document.original_name, document.api_filename) == (original, sent)
    for name in (document.original_name, document.api_filename):
        assert not re.search(r"[/\\]|\.\.", name)
        assert not name.startswith(".")
        assert len(name) <= 120
        assert all(unicodedata.category(c) not in ("Cc", "Cf") for c in name), repr(name)
    assert re.fullmatch(
        rf"filings/{world.draft.uuid}/numberapplicationOfficialletter/{UUID}\.jpg",
        document.storage_key,
    )
    assert stored_objects() == sorted([*objects_before, document.storage_key])
    event = AuditEvent.objects.get(kind="document.uploaded", target_id=str(document.pk))
    assert event.data["files"][0]["original_name"] == original
    documents_page = reverse("admin:filings_filing_documents", args=[world.draft.pk])
    assert assert_safe_page(client.get(documents_page)).shows(sent)
    assert assert_safe_page(client.get(documents_page)).shows(original)
