"""The portal's encrypted filesystem storage: unreadable on disk, readable through the portal,
and rotated to a new key by `manage.py reencrypt_media`."""

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from filings.models import AuditEvent, Document
from filings.services.documents import Upload, document_upload
from filings.storage import read_object
from tests.builders import complete_filing, image

OLD = "old:" + base64.b64encode(b"o" * 32).decode()
NEW = "new:" + base64.b64encode(b"n" * 32).decode()
LICENCE = Document.Kind.BUSINESS_LICENSE.value


@pytest.fixture
def encrypted(settings: Any, tmp_path: Path) -> Path:
    location = tmp_path / "encrypted-media"
    settings.PORTAL_MEDIA_KEYS = OLD
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "filings.encrypted_storage.EncryptedFileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


def on_disk(location: Path, document: Document) -> bytes:
    return (location / document.storage_key).read_bytes()


@pytest.mark.django_db
def test_files_on_disk_cannot_be_read_without_the_key(
    encrypted: Path, preparer: User, reviewer: User
) -> None:
    data = image(3)
    filing = complete_filing(preparer)
    document = document_upload(
        actor=preparer, filing=filing, kind=LICENCE, upload=Upload("licence.jpg", data)
    )

    raw = on_disk(encrypted, document)

    assert not raw.startswith(b"\xff\xd8")
    assert raw.startswith(b"VMSENC1\x00\x03old")
    assert read_object(document.storage_key)[:2] == b"\xff\xd8"
    assert default_storage.size(document.storage_key) == document.size
    client = Client()
    client.force_login(reviewer)
    response = client.get(reverse("document-image", args=[document.uuid]))
    assert response.status_code == 200
    assert response.content == read_object(document.storage_key)


@pytest.mark.django_db
def test_reencrypt_media_moves_every_object_to_the_current_key(
    encrypted: Path, settings: Any, preparer: User
) -> None:
    filing = complete_filing(preparer)
    documents = list(Document.objects.filter(filing=filing))
    before = {d.pk: read_object(d.storage_key) for d in documents}
    settings.PORTAL_MEDIA_KEYS = f"{NEW},{OLD}"

    call_command("reencrypt_media", stdout=(out := io.StringIO()))

    assert out.getvalue() == f"key new: {len(documents)} re-encrypted, 0 already current\n"
    for document in documents:
        assert on_disk(encrypted, document).startswith(b"VMSENC1\x00\x03new")
        assert read_object(document.storage_key) == before[document.pk]
    event = AuditEvent.objects.filter(kind="media.reencrypted").get()
    assert event.data == {"key_id": "new", "changed": len(documents), "unchanged": 0}
    # The old key can go now: everything opens with the new one alone.
    settings.PORTAL_MEDIA_KEYS = NEW
    assert all(read_object(d.storage_key) == before[d.pk] for d in documents)

    call_command("reencrypt_media", stdout=(again := io.StringIO()))
    assert again.getvalue() == f"key new: 0 re-encrypted, {len(documents)} already current\n"


@pytest.mark.django_db
def test_a_file_written_before_encryption_is_encrypted_by_reencrypt_media(
    encrypted: Path, preparer: User
) -> None:
    path = encrypted / "filings" / "legacy" / "businessLicense" / "plain.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(image(1))

    assert read_object("filings/legacy/businessLicense/plain.jpg") == image(1)
    call_command("reencrypt_media", stdout=io.StringIO())

    assert path.read_bytes().startswith(b"VMSENC1\x00\x03old")
    assert read_object("filings/legacy/businessLicense/plain.jpg") == image(1)


@pytest.mark.django_db
def test_reencrypt_media_refuses_other_storages(
    preparer: User, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "plain")},
        },
    }
    with pytest.raises(CommandError, match="encrypted filesystem storage"):
        call_command("reencrypt_media", stdout=io.StringIO())
