"""Reads what a filing will send, and the hash an approval is bound to.

What is sent depends on the filing's kind (`filings.kinds`): its documents and its fields.
"""

import hashlib
import json
from typing import Any

from filings import kinds
from filings.models import Document, Filing


def current_documents(filing: Filing) -> dict[str, Document]:
    """The document of each of the kind's documents that would be sent (part MAIN, current)."""
    documents = filing.documents.filter(
        part=Document.Part.MAIN,
        superseded_at__isnull=True,
        kind__in=kinds.kind_of(filing).document_kinds,
    )
    return {document.kind: document for document in documents}


def filing_content(filing: Filing, documents: dict[str, Document] | None = None) -> dict[str, Any]:
    """Everything that will be sent except the URLs, which are made fresh at send time: the
    kind's fields, and each document's SHA-256 and file name.

    `documents`: current_documents(filing) when the caller has already read them.
    """
    if documents is None:
        documents = current_documents(filing)
    return {
        **kinds.kind_of(filing).content(filing, documents),
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
