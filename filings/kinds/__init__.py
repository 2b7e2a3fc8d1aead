"""Filing kinds: what each kind of filing supplies to the generic workflow.

Generic code asks `kind_of(filing)` (through this module, `kinds.kind_of(...)`, so a test can
put another kind in its place) and calls the kind's `content`, `checks` and `body`; see
`filings.kinds.base.FilingKind`.
"""

from filings.kinds.base import Check, Documents, FilingKind
from filings.kinds.company import COMPANY_FILING
from filings.kinds.number import NUMBER_DELETE_FILING, NUMBER_FILING
from filings.models import Filing

__all__ = [
    "COMPANY_FILING",
    "NUMBER_DELETE_FILING",
    "NUMBER_FILING",
    "Check",
    "Documents",
    "FilingKind",
    "kind_of",
]


def kind_of(filing: Filing) -> FilingKind:
    """The kind of `filing`: a company filing, or a number filing (delete needs no letter)."""
    if filing.kind == Filing.Kind.NUMBER:
        if filing.number_action == Filing.NumberAction.DELETE:
            return NUMBER_DELETE_FILING
        return NUMBER_FILING
    return COMPANY_FILING
