"""Admin search boxes that read an index: a whole credit code or RequestId is looked up exactly.

The admin's own search matches every search field with `icontains`, which no index serves, so
on large tables each search read every row. A term that is a whole credit code (18 characters of
its alphabet) or an existing RequestId is the common case and names its rows exactly; any other
term (part of a name or of a code) is searched as before.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from filings.credit_code import CREDIT_CODE_CHARSET, CREDIT_CODE_LENGTH, normalize_credit_code

LONGEST_REQUEST_ID = 128  # Submission.provider_request_id's max_length


def whole_credit_code(term: str) -> str | None:
    """The credit code `term` spells out in full (normalised), or None."""
    code = normalize_credit_code(term)
    if len(code) == CREDIT_CODE_LENGTH and all(char in CREDIT_CODE_CHARSET for char in code):
        return code
    return None


class ExactSearch:
    """`get_search_results` for a list whose rows are found by a company's credit code (and,
    when `request_id_lookup` is set, by a Volcengine RequestId) through an indexed equality."""

    credit_code_lookup: str
    request_id_lookup: str | None = None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        code = whole_credit_code(search_term)
        if code is not None:
            return queryset.filter(**{self.credit_code_lookup: code}), False
        term = search_term.strip()
        if self.request_id_lookup and term and len(term) <= LONGEST_REQUEST_ID:
            exact = queryset.filter(**{self.request_id_lookup: term})
            if exact.exists():
                return exact, False
        # Any other term: the admin's own search over `search_fields`.
        found: tuple[QuerySet[Any], bool] = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        return found
