"""Pre-flight checks before an approval or a send, each with a message a person can act on."""

from django.utils import timezone
from django.utils.translation import gettext as _

from filings import kinds
from filings.content import current_documents
from filings.errors import PREFLIGHT_FAILED, PreflightFailed, StorageUnavailable
from filings.kinds import Check
from filings.models import Document, Filing
from filings.storage import fetch_url
from filings.volc.config import credentials_problems


def document_check(kind: str, document: Document | None) -> Check:
    """One of the kind's documents: uploaded, missing, purged under the retention rules, or
    expired (its validity end date is before today's local date)."""
    name = {"document": Document.Kind(kind).label}
    if document is None:
        ok, message = False, _("%(document)s: missing — upload it") % name
    elif document.purged_at is not None:
        ok = False
        message = _("%(document)s: purged under the retention rules — upload it again") % name
    elif document.valid_until is not None and document.valid_until < timezone.localdate():
        ok = False
        message = _("%(document)s: expired on %(date)s — upload a valid one") % {
            **name,
            "date": document.valid_until.isoformat(),
        }
    else:
        ok, message = True, _("%(document)s: uploaded") % name
    return Check(f"document.{kind}", ok, message)


def content_checks(filing: Filing, documents: dict[str, Document] | None = None) -> list[Check]:
    """What a preparer must complete before review: each of the kind's documents, a company
    still in service, then the kind's own checks (its fields).

    `documents`: current_documents(filing) when the caller has already read them.
    """
    kind = kinds.kind_of(filing)
    present = current_documents(filing) if documents is None else documents
    checks = [document_check(name, present.get(name)) for name in kind.document_kinds]
    ended = filing.company.service_ended_on
    if ended is not None:
        checks.append(
            Check(
                "service",
                False,
                _("Company: its service ended on %(date)s — an administrator must resume it")
                % {"date": ended.isoformat()},
            )
        )
    return [*checks, *kind.checks(filing, present)]


def sending_checks(filing: Filing, documents: dict[str, Document] | None = None) -> list[Check]:
    """Content checks plus what sending needs: credentials and a fetchable URL per document."""
    if documents is None:
        documents = current_documents(filing)
    checks = content_checks(filing, documents)
    problems = credentials_problems()
    checks.append(
        Check(
            "credentials",
            not problems,
            _("Volcengine credentials: configured")
            if not problems
            else _("Volcengine credentials: %(problems)s") % {"problems": "; ".join(problems)},
        )
    )
    try:
        for document in documents.values():
            fetch_url(document)
        checks.append(Check("urls", True, _("Document URLs: can be produced")))
    except StorageUnavailable as exc:
        checks.append(
            Check("urls", False, _("Document URLs: %(problem)s") % {"problem": exc.message})
        )
    return checks


def failed(checks: list[Check]) -> list[str]:
    return [check.message for check in checks if not check.ok]


def require_passed(checks: list[Check]) -> None:
    """Raise PreflightFailed listing every failed check, if any failed."""
    problems = failed(checks)
    if problems:
        message = str(PREFLIGHT_FAILED).format(problems="; ".join(problems))
        raise PreflightFailed(message, problems)
