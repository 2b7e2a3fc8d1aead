"""Documents in S3-compatible object storage: real HTTP to a moto server through django-storages."""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.config import Config
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from filings import errors
from filings.models import AuditEvent, Document, Filing
from filings.services import editing, review
from filings.services.documents import Upload, document_upload, document_upload_sides
from filings.storage import document_key, fetch_url, read_object, save_object, uses_filesystem
from tests import builders, imagecorpus
from tests.builders import KINDS
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

LICENCE = Document.Kind.BUSINESS_LICENSE


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bucket_of(settings: Any) -> str:
    return str(settings.STORAGES["default"]["OPTIONS"]["bucket_name"])


@pytest.fixture
def bucket_keys(s3_storage: Any, settings: Any) -> Callable[[], list[str]]:
    """Lists the test bucket with the S3 API itself, not through the code under test."""

    def keys() -> list[str]:
        listing = s3_storage.list_objects_v2(Bucket=bucket_of(settings))
        return sorted(item["Key"] for item in listing.get("Contents", []))

    return keys


def get_object(s3_storage: Any, settings: Any, key: str) -> bytes:
    return bytes(s3_storage.get_object(Bucket=bucket_of(settings), Key=key)["Body"].read())


@pytest.fixture
def draft(preparer: User) -> Filing:
    return editing.filing_create(
        actor=preparer, company=builders.company(preparer), callee_source="网站"
    )


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def storage_down(settings: Any) -> None:
    """The same S3 storage, but its endpoint is a loopback port nobody listens on."""
    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "endpoint_url": f"http://127.0.0.1:{free_port()}",
        # One attempt, so the test does not sit through boto3's retry back-off.
        "client_config": Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=2,
            read_timeout=2,
        ),
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }


# --- upload, read back, fetch URLs ------------------------------------------------------------


def test_upload_is_stored_in_the_bucket_and_reads_back_byte_for_byte(
    s3_storage: Any,
    settings: Any,
    bucket_keys: Callable[[], list[str]],
    preparer: User,
    draft: Filing,
) -> None:
    assert not uses_filesystem()
    data = imagecorpus.jpeg_bytes(320, 200, noise=True)

    document = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("营业执照.jpg", data)
    )

    assert bucket_keys() == [document.storage_key]
    assert document.storage_key.startswith(f"filings/{draft.uuid}/{LICENCE}/")
    with default_storage.open(document.storage_key, "rb") as handle:
        assert handle.read() == data
    assert get_object(s3_storage, settings, document.storage_key) == data
    assert read_object(document.storage_key) == data
    assert (
        AuditEvent.objects.filter(kind="document.uploaded", target_id=str(document.pk)).count() == 1
    )


def presign_lifetime(url: str) -> float:
    """Seconds a presigned URL stays valid: SigV4 says it (X-Amz-Expires), SigV2 gives the
    expiry time (Expires, epoch seconds)."""
    query = parse_qs(urlsplit(url).query)
    if "X-Amz-Expires" in query:
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Signature"][0]
        return float(query["X-Amz-Expires"][0])
    assert query["Signature"][0]
    return float(query["Expires"][0]) - time.time()


@pytest.fixture(params=["fixture-default", "s3v4"])
def presigning(request: pytest.FixtureRequest, s3_storage: Any, settings: Any) -> str:
    """The fixture's storage as it is, and with the production settings' SigV4 client config."""
    if request.param == "s3v4":
        options = {
            **settings.STORAGES["default"]["OPTIONS"],
            "client_config": Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        }
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**settings.STORAGES["default"], "OPTIONS": options},
        }
    return str(request.param)


def test_fetch_url_is_a_presigned_url_that_serves_the_same_bytes(
    presigning: str, settings: Any, s3_server: str, preparer: User, draft: Filing
) -> None:
    data = imagecorpus.png_bytes(200, 150)
    document = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("licence.png", data)
    )

    url = fetch_url(document)

    assert url.startswith(f"{s3_server}/{bucket_of(settings)}/")  # path-style, on the S3 endpoint
    assert urlsplit(url).path.endswith(document.storage_key)
    expire = settings.STORAGES["default"]["OPTIONS"]["querystring_expire"]
    assert presign_lifetime(url) == pytest.approx(expire, abs=5)
    if presigning == "s3v4":
        assert "X-Amz-Credential=" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == data


def test_fetch_url_follows_the_configured_lifetime(
    presigning: str, settings: Any, preparer: User, draft: Filing
) -> None:
    storage = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**storage, "OPTIONS": {**storage["OPTIONS"], "querystring_expire": 3600}},
    }
    document = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("a.jpg", imagecorpus.jpeg_bytes())
    )
    assert presign_lifetime(fetch_url(document)) == pytest.approx(3600, abs=5)


def test_same_bytes_twice_get_different_keys_and_both_objects_stay(
    s3_storage: Any,
    settings: Any,
    bucket_keys: Callable[[], list[str]],
    preparer: User,
    draft: Filing,
) -> None:
    data = imagecorpus.jpeg_bytes(300, 200)
    first = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("a.jpg", data)
    )
    second = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("a.jpg", data)
    )

    assert first.storage_key != second.storage_key
    assert first.sha256 == second.sha256
    assert bucket_keys() == sorted([first.storage_key, second.storage_key])
    assert get_object(s3_storage, settings, first.storage_key) == data
    first.refresh_from_db()
    assert first.superseded_at is not None


def test_id_card_sides_and_composition_are_three_objects(
    s3_storage: Any, bucket_keys: Callable[[], list[str]], preparer: User, draft: Filing
) -> None:
    main = document_upload_sides(
        actor=preparer,
        filing=draft,
        kind=Document.Kind.OPERATOR_IDCARD,
        front=Upload("front.jpg", imagecorpus.jpeg_bytes(300, 190)),
        back=Upload("back.png", imagecorpus.png_bytes(300, 190)),
    )
    keys = set(Document.objects.filter(filing=draft).values_list("storage_key", flat=True))
    assert len(keys) == 3
    assert set(bucket_keys()) == keys
    assert read_object(main.storage_key)[:3] == b"\xff\xd8\xff"


def test_save_object_refuses_to_overwrite_an_existing_key(
    s3_storage: Any, settings: Any, bucket_keys: Callable[[], list[str]], draft: Filing
) -> None:
    key = document_key(draft.uuid, LICENCE, "jpg")
    save_object(key, b"original bytes")

    with pytest.raises(errors.StorageUnavailable, match="overwrite"):
        save_object(key, b"replacement bytes")

    assert bucket_keys() == [key]
    assert get_object(s3_storage, settings, key) == b"original bytes"


def test_a_save_is_one_conditional_put_without_asking_whether_the_name_is_free(
    s3_storage: Any, draft: Filing
) -> None:
    """The key is random: the store itself refuses a taken one (If-None-Match), no HEAD first."""
    calls: list[tuple[str, str | None]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params.get("headers", {}).get("If-None-Match")))

    default_storage.connection.meta.client.meta.events.register("before-call.s3", record)

    save_object(document_key(draft.uuid, LICENCE, "jpg"), b"licence bytes")

    assert calls == [("PutObject", "*")]


# --- failures leave nothing behind --------------------------------------------------------------


def test_failure_inside_the_transaction_removes_the_saved_object(
    monkeypatch: pytest.MonkeyPatch,
    s3_storage: Any,
    bucket_keys: Callable[[], list[str]],
    preparer: User,
    draft: Filing,
) -> None:
    """The object is saved before the transaction; the transaction then fails after the rows
    were inserted (the audit write stands in for any database error): no row, no object."""
    saved: list[str] = []
    real_save = save_object

    def recording_save(key: str, data: bytes) -> None:
        real_save(key, data)
        saved.append(key)

    def failing_record(**kwargs: Any) -> None:
        assert Document.objects.filter(filing=draft).exists()  # the row was inserted
        raise DatabaseError("simulated failure while writing the audit event")

    monkeypatch.setattr("filings.services.documents.save_object", recording_save)
    monkeypatch.setattr("filings.audit.record", failing_record)
    before = last_seq()

    with pytest.raises(DatabaseError, match="simulated"):
        document_upload(
            actor=preparer,
            filing=draft,
            kind=LICENCE,
            upload=Upload("a.jpg", imagecorpus.jpeg_bytes()),
        )

    assert len(saved) == 1  # it really reached the bucket before the failure
    assert bucket_keys() == []
    assert not Document.objects.exists()
    assert last_seq() == before


def test_upload_to_a_filing_that_is_not_editable_leaves_no_object(
    s3_storage: Any, bucket_keys: Callable[[], list[str]], preparer: User
) -> None:
    filing = builders.complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    keys_before = bucket_keys()
    rows_before = Document.objects.count()
    before = last_seq()
    assert len(keys_before) == len(KINDS)

    with pytest.raises(errors.FilingsError) as caught:
        document_upload(
            actor=preparer,
            filing=filing,
            kind=LICENCE,
            upload=Upload("b.jpg", imagecorpus.jpeg_bytes()),
        )

    assert "cannot be edited" in caught.value.message
    assert bucket_keys() == keys_before
    assert Document.objects.count() == rows_before
    assert last_seq() == before


def test_storage_down_raises_storage_unavailable_and_writes_nothing(
    s3_storage: Any,
    bucket_keys: Callable[[], list[str]],
    storage_down: None,
    preparer: User,
    draft: Filing,
) -> None:
    before = last_seq()

    with pytest.raises(errors.StorageUnavailable) as caught:
        document_upload(
            actor=preparer,
            filing=draft,
            kind=LICENCE,
            upload=Upload("a.jpg", imagecorpus.jpeg_bytes()),
        )

    assert caught.value.message == str(errors.STORAGE_UNAVAILABLE)
    assert not Document.objects.exists()
    assert last_seq() == before
    assert bucket_keys() == []  # listed on the real server, which the portal could not reach


def test_storage_down_in_the_admin_is_a_400_with_the_message_not_a_500(
    s3_storage: Any, storage_down: None, client: Client, preparer: User, draft: Filing
) -> None:
    client.force_login(preparer)
    before = last_seq()

    response = client.post(
        reverse("admin:filings_filing_document_upload", args=[draft.pk]),
        {"kind": LICENCE, "image": _file("a.jpg", imagecorpus.jpeg_bytes())},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )

    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "errors": {"__all__": [str(errors.STORAGE_UNAVAILABLE)]},
    }
    assert not Document.objects.exists()
    assert last_seq() == before


def test_fetch_url_with_storage_down_still_signs_locally(
    s3_storage: Any, storage_down: None, draft: Filing
) -> None:
    """Presigning needs no network: a URL can be made even while the store is unreachable."""
    url = fetch_url(Document(storage_key=document_key(draft.uuid, LICENCE, "jpg")))
    assert presign_lifetime(url) == pytest.approx(600, abs=5)


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


# --- the document image view --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("licence.jpg", imagecorpus.jpeg_bytes(320, 200, noise=True), "image/jpeg"),
        ("licence.png", imagecorpus.png_bytes(320, 200), "image/png"),
    ],
    ids=["jpeg", "png"],
)
def test_document_image_view_serves_the_bytes_from_s3(
    s3_storage: Any,
    client: Client,
    preparer: User,
    draft: Filing,
    name: str,
    data: bytes,
    content_type: str,
) -> None:
    document = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload(name, data)
    )
    client.force_login(preparer)

    response = client.get(reverse("document-image", args=[document.uuid]))

    assert response.status_code == 200
    assert b"".join(response) == data
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"

    thumbnail = client.get(reverse("document-image", args=[document.uuid]), {"thumb": "1"})
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert thumbnail.content[:3] == b"\xff\xd8\xff"
    assert thumbnail["X-Content-Type-Options"] == "nosniff"


def test_document_image_view_with_storage_down_is_503_with_the_message(
    s3_storage: Any, settings: Any, client: Client, preparer: User, draft: Filing
) -> None:
    document = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("a.jpg", imagecorpus.jpeg_bytes())
    )
    client.force_login(preparer)
    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "endpoint_url": f"http://127.0.0.1:{free_port()}",
        "client_config": Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }

    response = client.get(reverse("document-image", args=[document.uuid]))

    assert response.status_code == 503
    assert response.content.decode() == str(errors.STORAGE_UNAVAILABLE)


def test_missing_object_is_storage_unavailable_not_a_crash(
    s3_storage: Any, settings: Any, client: Client, preparer: User, draft: Filing
) -> None:
    """An object deleted behind the portal's back: the image view answers, it does not 500."""
    document = document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("a.jpg", imagecorpus.jpeg_bytes())
    )
    s3_storage.delete_object(Bucket=bucket_of(settings), Key=document.storage_key)
    client.force_login(preparer)

    response = client.get(reverse("document-image", args=[document.uuid]))

    assert response.status_code in (404, 503)
    assert document.storage_key.encode() not in response.content
