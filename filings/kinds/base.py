"""What a filing kind supplies to the generic workflow, and the pre-flight check it reports in.

The generic code (content hash, pre-flight, sending, the documents page) reads a filing's kind
through `filings.kinds.kind_of` and calls only what is declared here.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from filings.models import Document, Filing


@dataclass(frozen=True)
class Check:
    """One pre-flight check: a stable code, whether it passed, and what a person should do."""

    code: str
    ok: bool
    message: str


def filled_in(code: str, value: str, filled: str, missing: str) -> Check:
    """The check that a text field is filled in: `filled` or `missing` is its message."""
    ok = bool(value.strip())
    return Check(code, ok, filled if ok else missing)


# `documents` is always the filing's current MAIN document of each kind present (kind → Document),
# limited to the kind's `document_kinds`; some may be missing while the filing is a draft.
Documents = Mapping[str, Document]


@dataclass(frozen=True)
class FilingKind:
    """One kind of filing: its API action, the documents it needs, its fields, checks and body.

    - `name`: a short identifier, e.g. "company".
    - `api_action`: the Volcengine Action the body is posted to, e.g. "Click2CallCompanyAuth".
    - `document_kinds`: the Document.Kind values it needs, in the API's order; the documents
      page, the "n/m" count, uploads and the document checks follow this list.
    - `content(filing, documents)`: its fields as they are sent, as JSON values. The content
      hash covers this plus each document's SHA-256 and file name (added by
      `filings.content.filing_content` under "documents", a key the kind must not use);
      document URLs are made at send time and are never part of it.
    - `checks(filing, documents)`: its own pre-flight checks (its fields); the document checks
      and those every filing needs stay in `filings.preflight`.
    - `body(filing, documents, urls)`: the request body as a dict in the API's order; `urls` is
      kind of document → the URL Volcengine fetches it from. Called only once the checks pass.
    - `fields`: the Filing fields a preparer edits for this kind (through
      `services.editing.filing_update`).
    - `decision_fields`: what Volcengine's decline reasons may name besides the documents
      (`filings.decisions.FIELD_PROBLEMS` keys).
    """

    name: str
    api_action: str
    document_kinds: tuple[str, ...]
    content: Callable[[Filing, Documents], dict[str, Any]]
    checks: Callable[[Filing, Documents], list[Check]]
    body: Callable[[Filing, Documents, Mapping[str, str]], dict[str, Any]]
    fields: tuple[str, ...] = ()
    decision_fields: tuple[str, ...] = ()
