"""Filesystem storage that encrypts every file with AES-256-GCM (keys from the environment)."""

import logging
import os
import tempfile
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

from filings.media_crypto import (
    HEADER_MAX,
    Keyring,
    decrypt,
    encrypt,
    is_envelope,
    key_id_of,
    parse_keyring,
    plaintext_size,
)

logger = logging.getLogger(__name__)


@deconstructible
class EncryptedFileSystemStorage(FileSystemStorage):
    """Files on disk are envelopes that name their key; reads decrypt, writes encrypt.

    `keys` is the keyring text (`id:base64key,…`, current first); it defaults to the
    PORTAL_MEDIA_KEYS setting. A file written before encryption was turned on is read as it
    is, with a warning, until `manage.py reencrypt_media` encrypts it.
    """

    def __init__(self, *args: Any, keys: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys_text = keys

    @property
    def keyring(self) -> Keyring:
        return parse_keyring(self._keys_text or settings.PORTAL_MEDIA_KEYS)

    def _save(self, name: str, content: File[Any]) -> str:
        content.seek(0)
        sealed = encrypt(self.keyring, content.read())
        return str(super()._save(name, ContentFile(sealed)))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted files are written with save(), not opened for writing")
        with open(self.path(name), "rb") as handle:
            blob = handle.read()
        return ContentFile(self._plaintext(name, blob), name=name)

    def _plaintext(self, name: str, blob: bytes) -> bytes:
        if is_envelope(blob):
            return decrypt(self.keyring, blob)
        logger.warning("%s is not encrypted; run manage.py reencrypt_media", name)
        return blob

    def size(self, name: str) -> int:
        on_disk = super().size(name)
        key_id = self.key_id(name)
        return on_disk if key_id is None else plaintext_size(on_disk, key_id)

    def key_id(self, name: str) -> str | None:
        """The id of the key that encrypted the file, or None when it is not encrypted."""
        with open(self.path(name), "rb") as handle:
            return key_id_of(handle.read(HEADER_MAX))

    def reencrypt(self, name: str) -> bool:
        """Rewrite the file under the current key; False when it already was.

        The new envelope replaces the old one atomically (written beside it, then renamed).
        """
        keyring = self.keyring
        path = self.path(name)
        with open(path, "rb") as handle:
            blob = handle.read()
        if key_id_of(blob) == keyring.current:
            return False
        sealed = encrypt(keyring, self._plaintext(name, blob))
        directory = os.path.dirname(path)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".reencrypt-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return True
