"""The S3 backend for documents: each object stored by one conditional PUT.

django-storages' `S3Storage` with `file_overwrite=False` first asks the bucket whether the name
is free (a HEAD for every save) and then uploads through s3transfer's thread pool. The portal's
keys carry a random UUID, so the name is free; this backend skips the question and sends one
`PutObject` with `If-None-Match: *`. S3, MinIO and moto refuse that request with 412 when the
key exists, so nothing is ever overwritten, and there is no gap between a check and the upload
in which another writer could take the name. A store that ignores the header would overwrite
only on a UUID collision.
"""

import os
from typing import Any

from botocore.exceptions import ClientError
from storages.backends.s3 import S3Storage
from storages.utils import ReadBytesWrapper, clean_name, get_available_overwrite_name, is_seekable

# What S3 answers when `If-None-Match: *` finds the key taken (412), or finds another conditional
# write of the same key in progress (409).
KEY_TAKEN_CODES = {"PreconditionFailed", "ConditionalRequestConflict"}


class KeyTaken(FileExistsError):
    """The key already holds an object; nothing was written."""


class NoOverwriteS3Storage(S3Storage):  # type: ignore[misc]  # django-storages is untyped
    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # The conditional PUT in `_save` refuses a taken name; no HEAD needed to find a free one.
        return str(get_available_overwrite_name(clean_name(name), max_length))

    def _save(self, name: str, content: Any) -> str:
        cleaned_name = clean_name(name)
        key = self._normalize_name(cleaned_name)
        params = self._get_write_parameters(key, content)
        if is_seekable(content):
            content.seek(0, os.SEEK_SET)
        try:
            self.connection.meta.client.put_object(
                Bucket=self.bucket_name,
                Key=key,
                Body=ReadBytesWrapper(content),
                IfNoneMatch="*",
                **params,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in KEY_TAKEN_CODES:
                raise KeyTaken(key) from exc
            raise
        return str(cleaned_name)
