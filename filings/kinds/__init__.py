"""Filing kinds: what each kind of filing supplies to the generic workflow.

Generic code asks `kind_of(filing)` (through this module, `kinds.kind_of(...)`, so a test can
put another kind in its place) and calls the kind's `content`, `checks` and `body`; see
`filings.kinds.base.FilingKind`.
"""

from filings.kinds.base import Check, Documents, FilingKind
from filings.kinds.company import COMPANY_FILING
from filings.models import Filing

__all__ = ["COMPANY_FILING", "Check", "Documents", "FilingKind", "kind_of"]


def kind_of(filing: Filing) -> FilingKind:
    """The kind of `filing`: every filing is a company filing."""
    return COMPANY_FILING
