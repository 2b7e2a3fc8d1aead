"""The Django admin is the portal's UI: thin views that parse, call a service, show the result."""

from filings.admin import access, company, filing, history, numbers  # noqa: F401  (registers)
