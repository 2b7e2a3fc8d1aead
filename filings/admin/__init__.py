"""The Django admin is the portal's UI: thin views that parse, call a service, show the result."""

from filings.admin import (  # noqa: F401  (registers)
    access,
    company,
    decisions,
    filing,
    history,
    numbers,
)
