"""Object storage for documents: random keys, saving, orphan clean-up, URLs Volcengine fetches."""

import contextlib
import contextvars
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils import timezone

from filings.errors import STORAGE_UNAVAILABLE, StorageUnavailable

if TYPE_CHECKING:
    from filings.models import Document

logger = logging.getLogger(__name__)

PUBLIC_URL_SALT = "filings.public-document"
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


DOCUMENT_PREFIX = "filings"


def document_key(filing_uuid: uuid.UUID, kind: str, extension: str) -> str:
    return f"{DOCUMENT_PREFIX}/{filing_uuid}/{kind}/{uuid.uuid4()}.{extension}"


def save_object(key: str, data: bytes) -> None:
    """Store `data` under exactly `key`; never overwrites.

    Keys are random, and a taken key is refused: the S3 backend's conditional PUT refuses it
    (`filings.s3_storage`), and the filesystem storage picks another name, which is removed.
    """
    content = ContentFile(data)
    try:
        saved = default_storage.save(key, content)
    except FileExistsError as exc:
        raise StorageUnavailable(f"Refusing to overwrite the existing object {key}.") from exc
    except STORAGE_ERRORS as exc:
        logger.warning("storage save failed for %s: %s", key, type(exc).__name__)
        raise StorageUnavailable(str(STORAGE_UNAVAILABLE)) from exc
    finally:
        # django-storages' S3 backend leaves its wrapper of `content` in a reference cycle, which
        # keeps the uploaded bytes until a full GC. ContentFile's own close() does nothing;
        # closing its buffer lets the bytes go now.
        content.file.close()
    if saved != key:
        delete_object(saved)
        raise StorageUnavailable(f"Refusing to overwrite the existing object {key}.")


def read_object(key: str) -> bytes:
    """The bytes; FileNotFoundError when the object is gone, StorageUnavailable if the store is."""
    try:
        with default_storage.open(key, "rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError:
        raise
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(str(STORAGE_UNAVAILABLE)) from exc


def delete_object(key: str) -> None:
    try:
        default_storage.delete(key)
    except STORAGE_ERRORS:
        logger.exception("could not delete orphaned object %s; run manage.py cleanup_orphans", key)


# The key lists of the objects_removed_on_error blocks open in this context, outermost first.
_open_blocks: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar(
    "open_blocks", default=()
)


@contextlib.contextmanager
def objects_removed_on_error() -> Iterator[list[str]]:
    """Collects keys saved inside the block; if the block raises, deletes them (no orphans).

    Blocks nest: the keys of an inner block that ends normally join the enclosing block's, so
    they are deleted too when the enclosing block raises (its transaction rolls back the rows).
    """
    keys: list[str] = []
    enclosing = _open_blocks.get()
    token = _open_blocks.set((*enclosing, keys))
    try:
        yield keys
    except BaseException:
        for key in keys:
            delete_object(key)
        raise
    finally:
        _open_blocks.reset(token)
    if enclosing:
        enclosing[-1].extend(keys)


def uses_filesystem() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def fetch_url(document: "Document") -> str:
    """A URL Volcengine can fetch: presigned S3, or a signed, expiring portal URL.

    The portal URL's token names the document, not its storage key; the view serves it only
    while the document is current and its filing is being sent or was sent.
    """
    try:
        if not uses_filesystem():
            return str(default_storage.url(document.storage_key))
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(str(STORAGE_UNAVAILABLE)) from exc
    token = signing.dumps(str(document.uuid), salt=PUBLIC_URL_SALT)
    path = reverse("document-fetch", args=[token, fetch_filename(document)])
    return settings.PORTAL_PUBLIC_BASE_URL + path


def fetch_filename(document: "Document") -> str:
    """The last part of a document's fetch URL: its kind and the extension of its content."""
    return f"{document.kind}.{document.api_filename.rsplit('.', 1)[-1]}"


def document_uuid_from_fetch_token(token: str) -> uuid.UUID:
    """The document a fetch token was made for; signing.BadSignature when forged or expired."""
    value = signing.loads(token, salt=PUBLIC_URL_SALT, max_age=settings.AWS_QUERYSTRING_EXPIRE)
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise signing.BadSignature("token does not name a document") from None


def _walk(prefix: str) -> Iterator[str]:
    directories, files = default_storage.listdir(prefix)
    for name in files:
        yield f"{prefix}/{name}"
    for directory in directories:
        yield from _walk(f"{prefix}/{directory}")


def stored_document_keys() -> Iterator[str]:
    """Every stored document object's key (none when nothing was stored yet)."""
    try:
        yield from _walk(DOCUMENT_PREFIX)
    except FileNotFoundError:  # a filesystem folder that does not exist yet
        return
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(str(STORAGE_UNAVAILABLE)) from exc


def orphaned_keys(*, older_than: timedelta) -> list[str]:
    """Stored document objects that no Document row refers to and that are older than given."""
    from filings.models import Document  # storage is below models; only this reads rows

    cutoff = timezone.now() - older_than
    try:
        candidates = [
            key for key in stored_document_keys() if default_storage.get_modified_time(key) < cutoff
        ]
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(str(STORAGE_UNAVAILABLE)) from exc
    known = set(
        Document.objects.filter(storage_key__in=candidates).values_list("storage_key", flat=True)
    )
    return [key for key in candidates if key not in known]
