"""What "nothing changed" means: every row a request could write, the chain, the stored files."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from filings.models import (
    AuditEvent,
    CallScript,
    Company,
    Decision,
    Document,
    Filing,
    FilingDocument,
    FilingNumber,
    PhoneNumber,
    Submission,
)
from filings.sandbox.models import SandboxRequest


def stored_objects() -> list[str]:
    """Every file in the test's filesystem storage (the autouse `isolated_storage`)."""
    storages: Any = settings.STORAGES
    root = Path(storages["default"]["OPTIONS"]["location"])
    return sorted(
        str(Path(folder, name).relative_to(root))
        for folder, _, names in os.walk(root)
        for name in names
    )


def snapshot() -> dict[str, Any]:
    return {
        "companies": list(Company.objects.order_by("pk").values()),
        "filings": list(Filing.objects.order_by("pk").values()),
        "scripts": list(CallScript.objects.order_by("pk").values()),
        "documents": list(Document.objects.order_by("pk").values()),
        "document_links": list(FilingDocument.objects.order_by("pk").values()),
        "numbers": list(PhoneNumber.objects.order_by("pk").values()),
        "filing_numbers": list(FilingNumber.objects.order_by("pk").values()),
        "decisions": list(Decision.objects.order_by("pk").values()),
        "submissions": list(Submission.objects.order_by("pk").values()),
        "events": list(AuditEvent.objects.order_by("seq").values_list("seq", "kind", "hash")),
        "sandbox_requests": SandboxRequest.objects.count(),
        "objects": stored_objects(),
    }


def refused(exc_type: type[Exception], call: Callable[[], object]) -> Exception:
    """`call` raises exactly `exc_type` and leaves the database and the store as they were."""
    before = snapshot()
    with pytest.raises(exc_type) as caught:
        call()
    assert type(caught.value) is exc_type, caught.value
    assert snapshot() == before
    return caught.value
