"""Where an import's uploaded files wait for their check and confirmation: stored objects
(encrypted like every document) under imports/, deleted once the run is over."""

import uuid
from functools import partial

from django.db import transaction

from filings.imports.models import ImportRun
from filings.storage import delete_object, save_object

IMPORT_PREFIX = "imports"


def new_folder() -> str:
    return f"{IMPORT_PREFIX}/{uuid.uuid4().hex}"


def store(keys: list[str], folder: str, name: str, data: bytes) -> str:
    """Save `data` as `name` in `folder`; returns its key, also added to `keys` (the list of an
    objects_removed_on_error block)."""
    key = f"{folder}/{name}"
    save_object(key, data)
    keys.append(key)
    return key


def delete_files(run: ImportRun) -> None:
    """Forget the run's stored files; they are deleted after the caller's transaction commits.
    The caller saves the run."""
    keys = [key for key in (run.sheet_key, run.archive_key) if key]
    run.sheet_key = run.archive_key = ""
    for key in keys:
        transaction.on_commit(partial(delete_object, key))
