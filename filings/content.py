"""Reads what a filing will send, and the hash an approval is bound to.

What is sent depends on the filing's kind (`filings.kinds`): its documents and its fields.
"""

import hashlib
import json
from typing import Any

from django.db.models import Q, QuerySet

from filings import kinds
from filings.models import Document, Filing, FilingDocument


def current_links(*conditions: Q, **filters: Any) -> QuerySet[FilingDocument]:
    """The documents filings send now: one link per filing, kind and part, uploaded in that
    filing or taken over from the company. `conditions` and `filters` narrow it."""
    return FilingDocument.objects.filter(*conditions, removed_at__isnull=True, **filters)


def current_documents(filing: Filing) -> dict[str, Document]:
    """The document of each of the kind's documents that would be sent (part MAIN, current)."""
    # The links' document ids are read first. Written as one `IN (subquery)` with Document's
    # ordering, PostgreSQL may walk every document (in primary-key order) and probe its links
    # when its statistics say the tables are small, as they do right after a bulk load: each call
    # then costs the size of the whole table.
    ids = list(
        current_links(
            filing=filing,
            part=Document.Part.MAIN,
            kind__in=kinds.kind_of(filing).document_kinds,
        ).values_list("document_id", flat=True)
    )
    return {document.kind: document for document in Document.objects.filter(pk__in=ids)}


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
