"""The company filing (Click2CallCompanyAuth, 双呼企业报备): fields, documents, checks, body."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from filings.credit_code import validate_credit_code
from filings.kinds.base import Check, Documents, FilingKind, filled_in
from filings.models import Document, Filing
from filings.volc.payload import DOCUMENT_FIELDS, company_auth_payload

# The six documents in the API page's order (each its …PicUrl/…PicFilename prefix).
DOCUMENT_KINDS = tuple(Document.Kind(field).value for field in DOCUMENT_FIELDS)


def _scripts(filing: Filing) -> list[tuple[str, str]]:
    return [(script.scene, script.content) for script in filing.scripts.all()]


def content(filing: Filing, documents: Documents) -> dict[str, Any]:
    return {
        "companyName": filing.company.name,
        "companyCreditCode": filing.company.credit_code,
        "calleeSource": filing.callee_source,
        "businessCarrier": filing.business_carrier,
        "scripts": [[scene, text] for scene, text in _scripts(filing)],
    }


def checks(filing: Filing, documents: Documents) -> list[Check]:
    """Credit code, callee source, business carrier and at least one call script."""
    found: list[Check] = []
    try:
        validate_credit_code(filing.company.credit_code)
        found.append(Check("credit_code", True, _("Credit code: valid")))
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        found.append(
            Check("credit_code", False, _("Credit code: %(problem)s") % {"problem": problem})
        )
    found += [
        filled_in(
            "callee_source",
            filing.callee_source,
            _("Callee source: filled in"),
            _("Callee source: not filled in"),
        ),
        filled_in(
            "business_carrier",
            filing.business_carrier,
            _("Business carrier: filled in"),
            _("Business carrier: not filled in"),
        ),
    ]
    scripts = filing.scripts.count()
    found.append(
        Check(
            "scripts",
            scripts > 0,
            _("Call scripts: %(n)d") % {"n": scripts} if scripts else _("Call scripts: add one"),
        )
    )
    return found


def body(filing: Filing, documents: Documents, urls: Mapping[str, str]) -> dict[str, Any]:
    return company_auth_payload(
        company_name=filing.company.name,
        credit_code=filing.company.credit_code,
        documents={
            kind: (urls[kind], document.api_filename) for kind, document in documents.items()
        },
        callee_source=filing.callee_source,
        business_carrier=filing.business_carrier,
        scripts=_scripts(filing),
    )


COMPANY_FILING = FilingKind(
    name="company",
    api_action="Click2CallCompanyAuth",
    document_kinds=DOCUMENT_KINDS,
    content=content,
    checks=checks,
    body=body,
    fields=("callee_source", "business_carrier"),
    decision_fields=(
        "company_name",
        "credit_code",
        "callee_source",
        "business_carrier",
        "scripts",
    ),
)
