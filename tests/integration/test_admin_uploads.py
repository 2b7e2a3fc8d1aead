"""Uploads through the admin's documents page, and company/filing/script creation in the admin.

Every request goes through the Django test client and the real services; files are written by the
real (filesystem) storage of the `isolated_storage` fixture, so "nothing left behind" is checked by
listing the test's own directory.
"""

import html
import io
import json
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from filings import errors
from filings.models import AuditEvent, CallScript, Company, Document, Filing
from filings.services import editing, review
from filings.services.documents import Upload, document_upload, document_upload_sides
from tests import builders, imagecorpus
from tests.snapshots import snapshot

pytestmark = pytest.mark.django_db

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
BOUNDARY = "----portal-test-boundary-7d1f"
LICENCE = Document.Kind.BUSINESS_LICENSE
PROPRIETOR = Document.Kind.PROPRIETOR_IDCARD
API_DOC_CODE = "91330106MQBYDEKL12"  # the API page's example: fails both checks
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


# --- helpers ------------------------------------------------------------------------------------


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> bytes:
    """A multipart body with file names exactly as given (Django's test client strips
    directories from names; a hostile client does not)."""
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, content) in files.items():
        out.write(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


def upload(
    client: Client,
    filing: Filing,
    *,
    kind: str = LICENCE,
    xhr: bool = True,
    **files: tuple[str, bytes],
) -> Any:
    body = multipart({"kind": str(kind)}, files)
    return client.post(
        reverse("admin:filings_filing_document_upload", args=[filing.pk]),
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **(XHR if xhr else {}),
    )


def stored_files(tmp_path: Path) -> list[str]:
    """Every file under the test's directory (the media root is tmp_path/media): anything the
    upload wrote, wherever it tried to write it."""
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())


def event_kinds(after_seq: int = 0) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=after_seq).values_list("kind", flat=True))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def error_messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR]


@pytest.fixture(autouse=True)
def english_and_fast_passwords(settings: Any) -> None:
    """Messages are asserted in English (the portal's default language is Simplified Chinese).
    The role users are created with passwords: a fast hasher keeps their set-up cheap."""
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def licence_label() -> str:
    return str(LICENCE.label)


@pytest.fixture
def draft(preparer: User) -> Filing:
    """A draft with its company and fields, but no documents or scripts."""
    return editing.filing_create(
        actor=preparer,
        company=builders.company(preparer),
        callee_source="网站",
        business_carrier="火山示例科技有限公司",
    )


@pytest.fixture
def client_as_preparer(client: Client, preparer: User) -> Client:
    client.force_login(preparer)
    return client


# --- valid uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "extension", "content_type", "expected_api_name"),
    [
        pytest.param(
            "营业执照 扫描件.JPG",
            imagecorpus.jpeg_bytes(320, 200),
            "jpg",
            "image/jpeg",
            "营业执照 扫描件.jpg",
            id="jpeg",
        ),
        pytest.param(
            "licence.jpeg",
            imagecorpus.jpeg_bytes(320, 200),
            "jpg",
            "image/jpeg",
            "licence.jpeg",
            id="jpeg-keeps-jpeg-spelling",
        ),
        pytest.param(
            "licence.png",
            imagecorpus.png_bytes(300, 220, mode="RGBA"),
            "png",
            "image/png",
            "licence.png",
            id="png",
        ),
        # The name lies: the content decides, and the name sent to Volcengine says .png.
        pytest.param(
            "scan.jpg",
            imagecorpus.png_bytes(300, 220),
            "png",
            "image/png",
            "scan.png",
            id="png-named-jpg",
        ),
    ],
)
def test_valid_upload_creates_one_current_document_and_one_event(
    client_as_preparer: Client,
    draft: Filing,
    tmp_path: Path,
    name: str,
    data: bytes,
    extension: str,
    content_type: str,
    expected_api_name: str,
) -> None:
    before = last_seq()

    response = upload(client_as_preparer, draft, image=(name, data))

    assert response.status_code == 200, response.content
    answer = response.json()
    document = Document.objects.get(filing=draft)
    assert answer["ok"] is True
    assert answer["document"]["name"] == document.api_filename == expected_api_name
    assert answer["document"]["sha256"] == document.sha256
    assert answer["document"]["url"] == reverse("document-image", args=[document.uuid])
    assert document.kind == LICENCE
    assert document.part == Document.Part.MAIN
    assert document.superseded_at is None
    assert document.content_type == content_type
    assert document.size == len(data)
    assert document.uploaded_by.username == "preparer"
    assert document.original_name == unicodedata.normalize("NFC", name)
    # A random, server-made key: never the uploaded name.
    assert re.fullmatch(
        rf"filings/{draft.uuid}/{LICENCE}/{UUID}\.{extension}", document.storage_key
    ), document.storage_key
    assert Path(name).stem not in document.storage_key
    with default_storage.open(document.storage_key, "rb") as handle:
        assert handle.read() == data
    assert stored_files(tmp_path) == [f"media/{document.storage_key}"]

    events = AuditEvent.objects.filter(seq__gt=before)
    assert [e.kind for e in events] == ["document.uploaded"]
    event = events.get()
    assert event.filing_id == draft.pk
    assert event.target_type == "document"
    assert event.target_id == str(document.pk)
    assert event.actor_username == "preparer"
    assert event.data["kind"] == LICENCE
    assert event.data["replaced"] == []
    assert [f["sha256"] for f in event.data["files"]] == [document.sha256]


def test_replacing_keeps_the_old_document_superseded_and_records_a_replacement(
    client_as_preparer: Client, draft: Filing, tmp_path: Path
) -> None:
    first = upload(client_as_preparer, draft, image=("old.jpg", imagecorpus.jpeg_bytes(200, 100)))
    assert first.status_code == 200
    old = Document.objects.get(filing=draft)
    before = last_seq()

    second = upload(client_as_preparer, draft, image=("new.png", imagecorpus.png_bytes(220, 120)))

    assert second.status_code == 200, second.content
    old.refresh_from_db()
    new = Document.objects.get(filing=draft, superseded_at__isnull=True)
    assert new.pk != old.pk
    assert old.superseded_at is not None
    assert new.storage_key != old.storage_key
    assert new.api_filename == "new.png"
    assert Document.objects.filter(filing=draft).count() == 2
    # History keeps both objects.
    assert stored_files(tmp_path) == sorted(
        [f"media/{old.storage_key}", f"media/{new.storage_key}"]
    )
    events = AuditEvent.objects.filter(seq__gt=before)
    assert [e.kind for e in events] == ["document.replaced"]
    event = events.get()
    assert event.data["replaced"] == [str(old.uuid)]
    assert event.target_id == str(new.pk)


def test_front_and_back_are_composed_into_one_main_jpeg_and_kept_as_originals(
    client_as_preparer: Client, draft: Filing, tmp_path: Path
) -> None:
    front = imagecorpus.jpeg_bytes(400, 250)
    back = imagecorpus.png_bytes(420, 260)
    before = last_seq()

    response = upload(
        client_as_preparer,
        draft,
        kind=PROPRIETOR,
        front=("正面.jpg", front),
        back=("反面.png", back),
    )

    assert response.status_code == 200, response.content
    documents = {d.part: d for d in Document.objects.filter(filing=draft, kind=PROPRIETOR)}
    assert set(documents) == {Document.Part.MAIN, Document.Part.FRONT, Document.Part.BACK}
    main = documents[Document.Part.MAIN]
    assert main.content_type == "image/jpeg"
    assert main.api_filename.endswith(".jpg")
    assert main.storage_key.endswith(".jpg")
    with default_storage.open(main.storage_key, "rb") as handle:
        composed = handle.read()
    with Image.open(io.BytesIO(composed)) as image:
        assert image.format == "JPEG"
        assert image.size == (main.width, main.height)
        assert image.width == 1200
        assert image.height > 2 * 700  # both sides, scaled to 1200 wide, one above the other
    with default_storage.open(documents[Document.Part.FRONT].storage_key, "rb") as handle:
        assert handle.read() == front
    with default_storage.open(documents[Document.Part.BACK].storage_key, "rb") as handle:
        assert handle.read() == back
    assert documents[Document.Part.BACK].storage_key.endswith(".png")
    assert documents[Document.Part.FRONT].original_name == "正面.jpg"
    assert len(stored_files(tmp_path)) == 3
    # One change, one event, describing all three files, MAIN first.
    events = AuditEvent.objects.filter(seq__gt=before)
    assert [e.kind for e in events] == ["document.uploaded"]
    assert [f["part"] for f in events.get().data["files"]] == ["main", "front", "back"]
    assert response.json()["document"]["sha256"] == main.sha256


def test_one_side_alone_is_refused_and_nothing_is_stored(
    client_as_preparer: Client, draft: Filing, tmp_path: Path
) -> None:
    before = last_seq()
    response = upload(
        client_as_preparer, draft, kind=PROPRIETOR, front=("f.jpg", imagecorpus.jpeg_bytes())
    )
    assert response.status_code == 400
    assert "back" in response.json()["errors"]
    assert not Document.objects.exists()
    assert event_kinds(before) == []
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize(
    ("kind", "files", "field"),
    [
        ("../../etc", {"image": ("a.jpg", imagecorpus.jpeg_bytes())}, "kind"),
        (
            PROPRIETOR,
            {
                "image": ("a.jpg", imagecorpus.jpeg_bytes()),
                "front": ("f.jpg", imagecorpus.jpeg_bytes()),
                "back": ("b.jpg", imagecorpus.jpeg_bytes()),
            },
            "__all__",
        ),
        (
            LICENCE,
            {
                "front": ("f.jpg", imagecorpus.jpeg_bytes()),
                "back": ("b.jpg", imagecorpus.jpeg_bytes()),
            },
            "__all__",
        ),
        (LICENCE, {}, "__all__"),
    ],
    ids=["unknown-kind", "image-and-sides", "sides-for-a-one-sided-kind", "no-file"],
)
def test_malformed_upload_forms_are_refused_and_store_nothing(
    client_as_preparer: Client,
    draft: Filing,
    tmp_path: Path,
    kind: str,
    files: dict[str, tuple[str, bytes]],
    field: str,
) -> None:
    before = last_seq()
    response = upload(client_as_preparer, draft, kind=kind, **files)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Document.objects.exists()
    assert event_kinds(before) == []
    assert stored_files(tmp_path) == []


def test_upload_to_an_approved_filing_voids_the_approval(
    client_as_preparer: Client, preparer: User, reviewer: User, volc_settings: Any
) -> None:
    filing = builders.approved_filing(preparer, reviewer)
    old = filing.documents.get(kind=LICENCE, superseded_at__isnull=True)
    before = last_seq()

    response = upload(
        client_as_preparer, filing, image=("new.jpg", imagecorpus.jpeg_bytes(333, 222))
    )

    assert response.status_code == 200, response.content
    filing.refresh_from_db()
    assert filing.status == Filing.Status.DRAFT
    assert filing.approved_hash == ""
    assert filing.approved_by is None
    assert event_kinds(before) == ["document.replaced", "filing.approval_voided"]
    old.refresh_from_db()
    assert old.superseded_at is not None


# --- hostile and broken files ------------------------------------------------------------------

SMALL_LIMIT = 1024 * 1024  # 1 MiB, set through the settings fixture for the oversize case


def _oversize() -> bytes:
    return imagecorpus.jpeg_bytes() + bytes(SMALL_LIMIT + 512 * 1024)


HOSTILE = [
    ("drawing.svg", imagecorpus.svg_bytes(), "an SVG drawing"),
    ("page.html", imagecorpus.html_bytes(), "an HTML page"),
    ("licence.pdf", imagecorpus.pdf_bytes(), "a PDF document"),
    ("scans.zip", imagecorpus.zip_bytes(), "a ZIP archive"),
    ("licence.jpg", imagecorpus.pe_bytes(), "a Windows executable program"),
    ("cut.jpg", imagecorpus.truncated_jpeg(), "damaged or incomplete"),
    ("moving.png", imagecorpus.animated_png(), "holds 2 pictures"),
    ("anim.gif", imagecorpus.gif_bytes(), "a GIF image"),
    ("photo.webp", imagecorpus.webp_bytes(), "a WebP image"),
    ("empty.jpg", b"", "the file is empty"),
    ("polyglot.jpg", imagecorpus.polyglot_jpeg_zip(), "a ZIP archive"),
    ("big.jpg", _oversize(), "more than the limit of 1 MB"),
    ("huge.png", imagecorpus.png_with_claimed_size(30000, 30000), "30000 × 30000 pixels"),
    ("huge.jpg", imagecorpus.jpeg_with_claimed_size(60000, 60000), "60000 × 60000 pixels"),
    ("../../../../etc/cron.d/x.jpg", imagecorpus.html_bytes(), "an HTML page"),
    ("..\\..\\Windows\\evil.jpg", imagecorpus.svg_bytes(), "an SVG drawing"),
    ("invoice\u202egpj.exe", imagecorpus.pe_bytes(), "a Windows executable program"),
    ("a\x01b\x1bc\x7f.jpg", imagecorpus.html_with_jpeg_header(), "HTML"),
]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    HOSTILE,
    ids=[
        "svg",
        "html",
        "pdf",
        "zip",
        "exe-renamed-jpg",
        "truncated-jpeg",
        "animated-png",
        "gif",
        "webp",
        "zero-bytes",
        "polyglot-jpeg-zip",
        "oversize",
        "huge-png-dimensions",
        "huge-jpeg-dimensions",
        "path-traversal",
        "windows-path-traversal",
        "bidi-override-name",
        "control-characters-name",
    ],
)
def test_hostile_or_broken_file_is_refused_and_leaves_nothing(
    client_as_preparer: Client,
    draft: Filing,
    tmp_path: Path,
    settings: Any,
    name: str,
    data: bytes,
    reason: str,
) -> None:
    settings.PORTAL_MAX_UPLOAD_BYTES = SMALL_LIMIT
    before = last_seq()

    response = upload(client_as_preparer, draft, image=(name, data))

    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["ok"] is False
    assert list(answer["errors"]) == ["image"]
    [message] = answer["errors"]["image"]
    assert message.startswith(f"{licence_label()}: "), message
    assert reason in message
    assert not Document.objects.exists()
    assert event_kinds(before) == []
    assert stored_files(tmp_path) == []
    draft.refresh_from_db()
    assert draft.status == Filing.Status.DRAFT


def test_hostile_back_side_refuses_the_whole_id_card(
    client_as_preparer: Client, draft: Filing, tmp_path: Path
) -> None:
    before = last_seq()
    response = upload(
        client_as_preparer,
        draft,
        kind=PROPRIETOR,
        front=("f.jpg", imagecorpus.jpeg_bytes()),
        back=("b.jpg", imagecorpus.polyglot_jpeg_html()),
    )
    assert response.status_code == 400
    [message] = response.json()["errors"]["image"]
    assert message.startswith(f"{PROPRIETOR.label} · {Document.Part.BACK.label}: "), message
    assert "an HTML page" in message
    assert not Document.objects.exists()
    assert event_kinds(before) == []
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../../../tmp/evil.jpg",
        "..\\..\\..\\Windows\\System32\\evil.jpg",
        "C:\\Users\\me\\Desktop\\evil.jpg",
        "evil\u202egpj.exe",
        "ev\x00il\x07\x1b[31m.jpg",
        ".hidden.jpg",
        "&#x2e;&#x2e;&#x2f;evil.jpg",
    ],
    ids=["posix", "windows", "drive", "bidi", "controls", "leading-dot", "entities"],
)
def test_hostile_file_name_of_a_valid_image_is_cleaned_and_never_used_as_the_key(
    client_as_preparer: Client, draft: Filing, tmp_path: Path, name: str
) -> None:
    response = upload(client_as_preparer, draft, image=(name, imagecorpus.jpeg_bytes()))

    assert response.status_code == 200, response.content
    document = Document.objects.get(filing=draft)
    for cleaned in (document.original_name, document.api_filename):
        assert "/" not in cleaned
        assert "\\" not in cleaned
        assert ".." not in cleaned
        assert not cleaned.startswith(".")
        assert all(unicodedata.category(c) not in ("Cc", "Cf") for c in cleaned), repr(cleaned)
    assert document.api_filename.endswith(".jpg")
    assert re.fullmatch(rf"filings/{draft.uuid}/{LICENCE}/{UUID}\.jpg", document.storage_key)
    assert stored_files(tmp_path) == [f"media/{document.storage_key}"]


# --- who may upload, and when ------------------------------------------------------------------


def test_upload_to_a_filing_in_review_is_refused_and_leaves_nothing(
    client_as_preparer: Client, preparer: User, tmp_path: Path
) -> None:
    filing = builders.complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    files_before = stored_files(tmp_path)
    documents_before = set(Document.objects.values_list("pk", "superseded_at"))
    before = last_seq()

    response = upload(client_as_preparer, filing, image=("new.jpg", imagecorpus.jpeg_bytes()))

    assert response.status_code == 400
    [message] = response.json()["errors"]["__all__"]
    assert message == str(errors.NOT_EDITABLE).format(status=Filing.Status.IN_REVIEW.label)
    assert set(Document.objects.values_list("pk", "superseded_at")) == documents_before
    assert event_kinds(before) == []
    assert stored_files(tmp_path) == files_before
    filing.refresh_from_db()
    assert filing.status == Filing.Status.IN_REVIEW


@pytest.mark.parametrize("role", ["reviewer", "auditor"])
@pytest.mark.parametrize("xhr", [True, False], ids=["xhr", "form"])
def test_reviewer_or_auditor_cannot_upload(
    request: pytest.FixtureRequest,
    client: Client,
    draft: Filing,
    tmp_path: Path,
    role: str,
    xhr: bool,
) -> None:
    client.force_login(request.getfixturevalue(role))
    before = last_seq()

    response = upload(client, draft, xhr=xhr, image=("x.jpg", imagecorpus.jpeg_bytes()))

    if xhr:
        assert response.status_code in (400, 403)
        if response.status_code == 400:
            assert response.json()["errors"]["__all__"] == [str(errors.NOT_PERMITTED)]
    else:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert error_messages(response) == [str(errors.NOT_PERMITTED)]
    assert not Document.objects.exists()
    assert event_kinds(before) == []
    assert stored_files(tmp_path) == []


def test_documents_page_offers_no_upload_form_to_an_auditor(
    client: Client, auditor: User, draft: Filing
) -> None:
    client.force_login(auditor)
    response = client.get(reverse("admin:filings_filing_documents", args=[draft.pk]))
    assert response.status_code == 200
    assert response.context["can_upload"] is False
    assert reverse("admin:filings_filing_document_upload", args=[draft.pk]) not in (
        response.content.decode()
    )


def test_non_xhr_refusal_redirects_back_with_an_error_message(
    client_as_preparer: Client, draft: Filing, tmp_path: Path
) -> None:
    response = upload(
        client_as_preparer, draft, xhr=False, image=("a.svg", imagecorpus.svg_bytes())
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:filings_filing_documents", args=[draft.pk])
    [message] = error_messages(response)
    assert message.startswith(f"{licence_label()}: ")
    assert "an SVG drawing" in message
    assert not Document.objects.exists()
    assert stored_files(tmp_path) == []
    # The message is shown on the page the browser is sent back to.
    page = client_as_preparer.get(response["Location"])
    assert "an SVG drawing" in page.content.decode()


def test_non_xhr_success_redirects_back_with_a_success_message(
    client_as_preparer: Client, draft: Filing
) -> None:
    response = upload(
        client_as_preparer, draft, xhr=False, image=("ok.jpg", imagecorpus.jpeg_bytes())
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:filings_filing_documents", args=[draft.pk])
    assert error_messages(response) == []
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Uploaded: ok.jpg"]
    assert Document.objects.filter(filing=draft).count() == 1


def test_get_on_the_upload_url_is_not_allowed(client_as_preparer: Client, draft: Filing) -> None:
    response = client_as_preparer.get(
        reverse("admin:filings_filing_document_upload", args=[draft.pk])
    )
    assert response.status_code == 405
    assert not Document.objects.exists()


# --- company and filing creation in the admin ---------------------------------------------------


def test_company_with_the_api_docs_invalid_code_is_a_form_error_and_nothing_is_saved(
    client_as_preparer: Client,
) -> None:
    before = last_seq()
    response = client_as_preparer.post(
        reverse("admin:filings_company_add"),
        {"name": "杭州示例有限公司", "credit_code": API_DOC_CODE, "_save": "Save"},
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["credit_code"]
    assert "fails its check" in " ".join(form.errors["credit_code"])
    assert not Company.objects.exists()
    assert event_kinds(before) == []


def test_company_code_is_normalised_and_creation_writes_one_event(
    client_as_preparer: Client,
) -> None:
    before = last_seq()
    response = client_as_preparer.post(
        reverse("admin:filings_company_add"),
        {"name": " 福州示例有限公司 ", "credit_code": "  91350100m000100y43  ", "_save": "Save"},
    )

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    company = Company.objects.get()
    assert company.credit_code == "91350100M000100Y43"
    assert company.name == "福州示例有限公司"
    assert company.created_by.username == "preparer"
    events = AuditEvent.objects.filter(seq__gt=before)
    assert [e.kind for e in events] == ["company.created"]
    assert events.get().data == {"name": "福州示例有限公司", "credit_code": "91350100M000100Y43"}


def test_duplicate_company_code_is_a_form_error(client_as_preparer: Client, preparer: User) -> None:
    builders.company(preparer)
    before = last_seq()
    response = client_as_preparer.post(
        reverse("admin:filings_company_add"),
        {"name": "另一家", "credit_code": builders.VALID_CODES[0].lower(), "_save": "Save"},
    )
    assert response.status_code == 200
    assert "credit_code" in response.context["adminform"].form.errors
    assert Company.objects.count() == 1
    assert event_kinds(before) == []


def management_data(response: Any) -> dict[str, Any]:
    """The inline formsets' management fields as the admin page rendered them."""
    data: dict[str, Any] = {}
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        for name in form.fields:
            value = form[name].value()
            data[form.add_prefix(name)] = "" if value is None else value
    return data


def test_filing_creation_in_the_admin_writes_one_event(
    client_as_preparer: Client, preparer: User
) -> None:
    company = builders.company(preparer)
    add_url = reverse("admin:filings_filing_add")
    page = client_as_preparer.get(add_url)
    assert page.status_code == 200
    before = last_seq()

    response = client_as_preparer.post(
        add_url,
        {
            **management_data(page),
            "company": company.pk,
            "callee_source": "官网",
            "business_carrier": "火山示例科技有限公司",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    filing = Filing.objects.get()
    assert filing.company == company
    assert filing.status == Filing.Status.DRAFT
    assert filing.callee_source == "官网"
    assert filing.created_by.username == filing.updated_by.username == "preparer"
    events = AuditEvent.objects.filter(seq__gt=before)
    assert [e.kind for e in events] == ["filing.created"]
    assert events.get().filing_id == filing.pk


def test_scripts_added_inline_on_the_change_form_are_saved_through_the_service(
    client_as_preparer: Client, draft: Filing
) -> None:
    change_url = reverse("admin:filings_filing_change", args=[draft.pk])
    page = client_as_preparer.get(change_url)
    assert page.status_code == 200
    before = last_seq()

    response = client_as_preparer.post(
        change_url,
        {
            **management_data(page),
            "callee_source": draft.callee_source,
            "business_carrier": draft.business_carrier,
            "scripts-0-position": "7",
            "scripts-0-scene": "快递",
            "scripts-0-content": "您好，您的快递已到。",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    script = CallScript.objects.get(filing=draft)
    assert (script.scene, script.content) == ("快递", "您好，您的快递已到。")
    assert script.position == 1  # the service numbers scripts, not the form
    events = AuditEvent.objects.filter(seq__gt=before)
    assert [e.kind for e in events] == ["script.created"]
    event = events.get()
    assert event.filing_id == draft.pk
    assert event.data == {"position": 1, "scene": "快递", "content": "您好，您的快递已到。"}


def test_filing_in_review_cannot_be_changed_through_the_change_form(
    client_as_preparer: Client, preparer: User
) -> None:
    filing = builders.complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    before = last_seq()
    response = client_as_preparer.post(
        reverse("admin:filings_filing_change", args=[filing.pk]),
        {"callee_source": "changed", "business_carrier": "changed", "_save": "Save"},
    )
    assert response.status_code == 403
    filing.refresh_from_db()
    assert filing.callee_source == "网站"
    assert event_kinds(before) == []


def test_json_answer_is_json(client_as_preparer: Client, draft: Filing) -> None:
    """The upload script parses the answer: it must be JSON with the documented keys."""
    response = upload(client_as_preparer, draft, image=("x.jpg", imagecorpus.jpeg_bytes(100, 80)))
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body["document"]) == {"kind", "name", "size", "pixels", "sha256", "url"}
    assert body["document"]["pixels"] == "100×80"
    assert uuid.UUID(body["document"]["url"].rstrip("/").rsplit("/", 1)[-1])


# --- uploads over the size limit ------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024
TWELVE_POINT_FOUR_MB = round(12.4 * 1024 * 1024)


def jpeg_of_size(size: int) -> bytes:
    """A valid JPEG padded with zeros after its end to exactly `size` bytes."""
    data = imagecorpus.jpeg_bytes()
    return data + bytes(size - len(data))


def refusal_messages(response: Any, xhr: bool) -> list[str]:
    if xhr:
        assert response.status_code == 400, response.content
        return [text for texts in response.json()["errors"].values() for text in texts]
    assert response.status_code == 302
    return error_messages(response)


class CountingStream(io.BytesIO):
    """A request body that records how many bytes anyone read from it."""

    consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.consumed += len(line)
        return line


@pytest.mark.parametrize("xhr", [True, False], ids=["xhr", "form"])
def test_a_file_over_the_limit_is_refused_with_its_real_size(
    client_as_preparer: Client, draft: Filing, settings: Any, xhr: bool
) -> None:
    settings.PORTAL_MAX_UPLOAD_BYTES = TEN_MB
    before = snapshot()

    response = upload(
        client_as_preparer, draft, xhr=xhr, image=("big.jpg", jpeg_of_size(TWELVE_POINT_FOUR_MB))
    )

    assert refusal_messages(response, xhr) == [
        f"{licence_label()}: the file is 12.4 MB, more than the limit of 10 MB. "
        "Reduce the image's resolution or quality and upload it again."
    ]
    assert snapshot() == before


def test_an_id_card_side_over_the_limit_names_the_side_and_its_real_size(
    client_as_preparer: Client, draft: Filing, settings: Any
) -> None:
    settings.PORTAL_MAX_UPLOAD_BYTES = TEN_MB
    before = snapshot()

    response = upload(
        client_as_preparer,
        draft,
        kind=PROPRIETOR,
        front=("f.jpg", imagecorpus.jpeg_bytes()),
        back=("b.jpg", jpeg_of_size(TWELVE_POINT_FOUR_MB)),
    )

    [message] = refusal_messages(response, xhr=True)
    assert message.startswith(
        f"{PROPRIETOR.label} · {Document.Part.BACK.label}: the file is 12.4 MB"
    )
    assert snapshot() == before


@pytest.mark.parametrize("xhr", [True, False], ids=["xhr", "form"])
def test_a_request_with_a_huge_content_length_is_refused_before_its_body_is_read(
    preparer: User, draft: Filing, settings: Any, tmp_path: Path, xhr: bool
) -> None:
    """Refused from the header alone: neither the CSRF check nor the upload parser reads (or
    spools to disk) a byte of the body."""
    settings.PORTAL_MAX_UPLOAD_BYTES = TEN_MB
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    client = Client(enforce_csrf_checks=True)
    client.force_login(preparer)
    body = multipart({"kind": str(LICENCE)}, {"image": ("big.jpg", imagecorpus.jpeg_bytes())})
    stream = CountingStream(body)
    before = snapshot()

    response = client.post(
        reverse("admin:filings_filing_document_upload", args=[draft.pk]),
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
        **{"wsgi.input": stream},
        **(XHR if xhr else {}),
    )

    assert refusal_messages(response, xhr) == [
        "The upload is 60 MB, more than the limit of 10 MB per image. Nothing was saved. "
        "Reduce the image's resolution or quality and upload it again."
    ]
    assert stream.consumed == 0
    assert stored_files(tmp_path) == []
    assert snapshot() == before


def test_two_sides_at_the_limit_are_not_refused_for_the_request_size(
    client_as_preparer: Client, draft: Filing, settings: Any
) -> None:
    settings.PORTAL_MAX_UPLOAD_BYTES = 1024 * 1024
    side = jpeg_of_size(1024 * 1024)

    response = upload(
        client_as_preparer, draft, kind=PROPRIETOR, front=("f.jpg", side), back=("b.jpg", side)
    )

    assert response.status_code == 200, response.content


def test_the_upload_still_needs_its_csrf_token(preparer: User, draft: Filing) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(preparer)
    before = snapshot()
    files = {"image": ("a.jpg", imagecorpus.jpeg_bytes())}

    refused = upload(client, draft, **files)

    assert refused.status_code == 403
    assert snapshot() == before
    page = client.get(reverse("admin:filings_filing_documents", args=[draft.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    body = multipart({"csrfmiddlewaretoken": token.group(1), "kind": str(LICENCE)}, files)
    accepted = client.post(
        reverse("admin:filings_filing_document_upload", args=[draft.pk]),
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **XHR,
    )
    assert accepted.status_code == 200, accepted.content


# --- file names of ID documents -----------------------------------------------------------

ID_NAMES = {
    "proprietor-FRONT-正面.jpg",
    "proprietor-BACK-反面.png",
    "operator-ID-管理员证件.jpg",
    "operator-INHAND-自拍.jpg",
}


@pytest.fixture
def filing_with_id_documents(preparer: User, draft: Filing) -> Filing:
    jpeg, png = imagecorpus.jpeg_bytes(), imagecorpus.png_bytes()
    document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("LICENCE-营业执照.jpg", jpeg)
    )
    document_upload_sides(
        actor=preparer,
        filing=draft,
        kind=PROPRIETOR,
        front=Upload("proprietor-FRONT-正面.jpg", jpeg),
        back=Upload("proprietor-BACK-反面.png", png),
    )
    for kind, name in [
        (Document.Kind.OPERATOR_IDCARD, "operator-ID-管理员证件.jpg"),
        (Document.Kind.OPERATOR_IDCARD_INHAND, "operator-INHAND-自拍.jpg"),
    ]:
        document_upload(actor=preparer, filing=draft, kind=kind, upload=Upload(name, jpeg))
    return draft


def id_file_names(filing: Filing) -> set[str]:
    """Every name an ID document of `filing` has: as uploaded, cleaned, and sent."""
    names = set(ID_NAMES)
    for document in filing.documents.filter(kind__in=Document.SENSITIVE_KINDS):
        names |= {document.original_name, document.api_filename}
    return names


def test_the_documents_page_shows_an_auditor_no_file_names_of_id_documents(
    client: Client, auditor: User, filing_with_id_documents: Filing
) -> None:
    client.force_login(auditor)

    response = client.get(
        reverse("admin:filings_filing_documents", args=[filing_with_id_documents.pk])
    )

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    for name in id_file_names(filing_with_id_documents):
        assert name not in page, name
    assert "LICENCE-营业执照.jpg" in page


def test_the_documents_page_shows_a_reviewer_the_file_names_of_id_documents(
    client: Client, reviewer: User, filing_with_id_documents: Filing
) -> None:
    client.force_login(reviewer)

    response = client.get(
        reverse("admin:filings_filing_documents", args=[filing_with_id_documents.pk])
    )

    page = html.unescape(response.content.decode())
    # The page shows the image each kind sends: for a two-sided card, the composition.
    for name in ["operator-ID-管理员证件.jpg", "operator-INHAND-自拍.jpg"]:
        assert name in page, name
    assert f"{PROPRIETOR}-front-back.jpg" in page


@pytest.mark.parametrize("xhr", [True, False], ids=["xhr", "form"])
def test_the_upload_answer_names_no_id_file_to_a_user_who_may_not_see_it(
    client: Client, draft: Filing, xhr: bool
) -> None:
    """Someone who may edit filings but not see ID documents (a custom role)."""
    editor = User.objects.create_user("editor", is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="filings",
            codename__in=["view_filing", "change_filing", "add_document", "view_document"],
        )
    )
    client.force_login(editor)

    response = upload(
        client,
        draft,
        kind=Document.Kind.OPERATOR_IDCARD_INHAND,
        xhr=xhr,
        image=("operator-INHAND-自拍.jpg", imagecorpus.jpeg_bytes()),
    )

    if xhr:
        assert response.status_code == 200, response.content
        answer = json.dumps(response.json(), ensure_ascii=False)
    else:
        assert response.status_code == 302
        answer = " ".join(str(m) for m in get_messages(response.wsgi_request))
        assert error_messages(response) == []
    assert Document.objects.filter(filing=draft).count() == 1
    assert "自拍" not in answer
    assert "INHAND" not in answer
