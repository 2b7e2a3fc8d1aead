"""Reads what a filing will send, and the hash an approval is bound to."""

import hashlib
import json
from typing import Any

from filings.models import Document, Filing


def current_documents(filing: Filing) -> dict[str, Document]:
    """The document of each kind that would be sent (part MAIN, not superseded)."""
    documents = filing.documents.filter(part=Document.Part.MAIN, superseded_at__isnull=True)
    return {document.kind: document for document in documents}


def filing_content(filing: Filing, documents: dict[str, Document] | None = None) -> dict[str, Any]:
    """Everything that will be sent except the URLs, which are made fresh at send time.

    `documents`: current_documents(filing) when the caller has already read them.
    """
    if documents is None:
        documents = current_documents(filing)
    return {
        "companyName": filing.company.name,
        "companyCreditCode": filing.company.credit_code,
        "calleeSource": filing.callee_source,
        "businessCarrier": filing.business_carrier,
        "scripts": [[script.scene, script.content] for script in filing.scripts.all()],
        "documents": {
            kind: {"sha256": document.sha256, "filename": document.api_filename}
            for kind, document in sorted(documents.items())
        },
    }


def content_hash(filing: Filing, documents: dict[str, Document] | None = None) -> str:
    canonical = json.dumps(
        filing_content(filing, documents), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
