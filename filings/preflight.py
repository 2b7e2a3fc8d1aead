"""Pre-flight checks before an approval or a send, each with a message a person can act on."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from filings.content import current_documents
from filings.credit_code import validate_credit_code
from filings.errors import PREFLIGHT_FAILED, PreflightFailed, StorageUnavailable
from filings.models import Document, Filing
from filings.storage import fetch_url
from filings.volc.config import credentials_problems


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    message: str


def content_checks(filing: Filing, documents: dict[str, Document] | None = None) -> list[Check]:
    """What a preparer must complete before review: documents, credit code, fields, scripts.

    `documents`: current_documents(filing) when the caller has already read them.
    """
    checks: list[Check] = []
    present = current_documents(filing) if documents is None else documents
    for kind in Document.Kind:
        document = present.get(kind.value)
        if document is None:
            ok, message = False, _("%(document)s: missing — upload it")
        elif document.purged_at is not None:
            ok, message = (
                False,
                _("%(document)s: purged under the retention rules — upload it again"),
            )
        else:
            ok, message = True, _("%(document)s: uploaded")
        checks.append(Check(f"document.{kind.value}", ok, message % {"document": kind.label}))
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
    try:
        validate_credit_code(filing.company.credit_code)
        checks.append(Check("credit_code", True, _("Credit code: valid")))
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        checks.append(
            Check("credit_code", False, _("Credit code: %(problem)s") % {"problem": problem})
        )
    callee_ok = bool(filing.callee_source.strip())
    checks.append(
        Check(
            "callee_source",
            callee_ok,
            _("Callee source: filled in") if callee_ok else _("Callee source: not filled in"),
        )
    )
    carrier_ok = bool(filing.business_carrier.strip())
    checks.append(
        Check(
            "business_carrier",
            carrier_ok,
            _("Business carrier: filled in")
            if carrier_ok
            else _("Business carrier: not filled in"),
        )
    )
    scripts = filing.scripts.count()
    checks.append(
        Check(
            "scripts",
            scripts > 0,
            _("Call scripts: %(n)d") % {"n": scripts} if scripts else _("Call scripts: add one"),
        )
    )
    return checks


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
