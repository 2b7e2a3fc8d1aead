"""Services over the stored objects as a whole: re-encryption under the current key."""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction

from filings import audit, errors
from filings.encrypted_storage import EncryptedFileSystemStorage
from filings.models import AuditChainHead
from filings.storage import stored_document_keys

NOT_ENCRYPTED_STORAGE = (
    "Documents are not in the portal's encrypted filesystem storage; an S3 bucket encrypts "
    "on the server side (AWS_S3_OBJECT_PARAMETERS)."
)


@dataclass(frozen=True)
class Reencrypted:
    key_id: str
    changed: int
    unchanged: int


def media_reencrypt() -> Reencrypted:
    """Move every stored document to the current media key; one audit event for the run.

    Safe to stop and run again: each file is replaced atomically, and files already under
    the current key are left alone.
    """
    storage = default_storage
    if not isinstance(storage, EncryptedFileSystemStorage):
        raise errors.FilingsError(NOT_ENCRYPTED_STORAGE)
    changed = unchanged = 0
    for key in stored_document_keys():
        if storage.reencrypt(key):
            changed += 1
        else:
            unchanged += 1
    result = Reencrypted(storage.keyring.current, changed, unchanged)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.get_or_create(pk=audit.HEAD_PK)
        audit.record(
            actor=None,
            kind="media.reencrypted",
            target=head,
            data={"key_id": result.key_id, "changed": changed, "unchanged": unchanged},
        )
    return result
