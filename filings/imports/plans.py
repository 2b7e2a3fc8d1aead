"""What importing one spreadsheet row would do, or why it may not: the import's rules.

`row_plan` reads the portal's current state and compares it with the row: it is used for the
preview and again, under lock, when the confirmed row is imported, so a row is imported exactly as
the state then allows and a second import of the same files finds nothing to change.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from filings import kinds
from filings.content import current_links
from filings.credit_code import normalize_credit_code, validate_credit_code
from filings.imports import messages
from filings.models import Company, Document, Filing, FilingDocument, PhoneNumber
from filings.phone_numbers import ListTooLong, NumberEntry, NumberReport, report_items
from filings.services.document_reuse import company_current_links
from filings.services.documents import OPEN_STATES
from filings.services.numbers import TAKEN_ELSEWHERE, taken_elsewhere_reason
from filings.workflow import State

COMPANY_FILING = kinds.COMPANY_FILING


@dataclass(frozen=True)
class RowValues:
    """A spreadsheet row as stored with the import (filings.imports.sheet.SheetRow's values)."""

    line: int
    name: str
    credit_code: str
    callee_source: str
    business_carrier: str
    scripts: tuple[tuple[str, str], ...]
    numbers: tuple[str, ...]
    problems: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "name": self.name,
            "credit_code": self.credit_code,
            "callee_source": self.callee_source,
            "business_carrier": self.business_carrier,
            "scripts": [list(pair) for pair in self.scripts],
            "numbers": list(self.numbers),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RowValues":
        return cls(
            line=data["line"],
            name=data["name"],
            credit_code=data["credit_code"],
            callee_source=data["callee_source"],
            business_carrier=data["business_carrier"],
            scripts=tuple((scene, content) for scene, content in data["scripts"]),
            numbers=tuple(data["numbers"]),
        )


@dataclass(frozen=True)
class RowFile:
    """One archive entry of the row: the SHA-256 of what storing it would store, or its problem."""

    path: str
    kind: str
    part: str
    sha256: str = ""
    problem: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "path": self.path,
            "kind": self.kind,
            "part": self.part,
            "sha256": self.sha256,
            "problem": self.problem,
        }


@dataclass
class Plan:
    """The verdict, the steps shown in the preview, and what to change."""

    credit_code: str
    reasons: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    company: Company | None = None
    rename: bool = False
    filing: Filing | None = None
    field_changes: dict[str, str] = field(default_factory=dict)
    scripts: tuple[tuple[str, str], ...] | None = None  # None: the current ones stay
    documents: dict[str, list[RowFile]] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)  # the texts of the numbers to add

    @property
    def refused(self) -> bool:
        return bool(self.reasons)

    @property
    def changes(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class FileContext:
    """What the whole file says about a row: other lines with its credit code or its numbers."""

    code_lines: dict[str, list[int]] = field(default_factory=dict)
    number_lines: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Sequence[RowValues]) -> "FileContext":
        code_lines: dict[str, list[int]] = {}
        number_lines: dict[str, list[int]] = {}
        for row in rows:
            code_lines.setdefault(_normalized(row.credit_code), []).append(row.line)
            for digits in _digits(row.numbers):
                lines = number_lines.setdefault(digits, [])
                if row.line not in lines:
                    lines.append(row.line)
        return cls(code_lines, number_lines)


def _normalized(code: str) -> str:
    return normalize_credit_code(code)


def _report(texts: Sequence[str]) -> NumberReport:
    try:
        return report_items(enumerate(texts, start=1))
    except ListTooLong as exc:
        return NumberReport((NumberEntry(1, texts[0], None, exc.reason),))


def _digits(texts: Sequence[str]) -> list[str]:
    report = _report(texts)
    return [entry.digits for entry in report.lines if entry.digits and not entry.reason]


def _lines(lines: list[int], own: int) -> str:
    return ", ".join(str(line) for line in lines if line != own)


def _field_label(name: str) -> str:
    field = Filing._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def latest_company_filing(company: Company) -> Filing | None:
    return Filing.objects.filter(company=company, kind=Filing.Kind.COMPANY).order_by("-pk").first()


def row_plan(row: RowValues, files: Sequence[RowFile], context: FileContext) -> Plan:
    """Judge `row` against the portal's state now (see the module's docstring)."""
    plan = Plan(credit_code=_normalized(row.credit_code))
    plan.reasons.extend(row.problems)
    if not row.credit_code:
        return plan
    try:
        validate_credit_code(plan.credit_code)
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        plan.reasons.append(
            str(messages.CREDIT_CODE_INVALID).format(code=row.credit_code, problem=problem)
        )
        return plan
    others = _lines(context.code_lines.get(plan.credit_code, []), row.line)
    if others:
        plan.reasons.append(
            str(messages.DUPLICATE_IN_FILE).format(code=plan.credit_code, lines=others)
        )
    plan.company = Company.objects.filter(credit_code=plan.credit_code).first()
    if plan.company is not None:
        plan.filing = latest_company_filing(plan.company)
    _plan_company(plan, row)
    _plan_filing(plan, row)
    _plan_documents(plan, files)
    _plan_numbers(plan, row, context)
    _refuse_busy(plan)
    return plan


def _plan_company(plan: Plan, row: RowValues) -> None:
    company = plan.company
    if company is None:
        plan.steps.append(str(messages.STEP_NEW_COMPANY))
        return
    if company.service_ended_on is not None:
        plan.reasons.append(
            str(messages.SERVICE_ENDED).format(date=company.service_ended_on.isoformat())
        )
    if row.name and company.name != row.name:
        plan.rename = True
        plan.steps.append(str(messages.STEP_RENAME).format(before=company.name, after=row.name))
        # The name is part of what every filing of the company sends: renaming changes each one
        # not sent yet (an approval is voided), so none of them may be in review or later.
        # (The row's own filing is judged by _refuse_busy.)
        busy = Filing.objects.filter(company=company, status__in=OPEN_STATES - {State.DRAFT})
        if plan.filing is not None:
            busy = busy.exclude(pk=plan.filing.pk)
        for filing in busy.order_by("pk"):
            state = filing.get_status_display()
            plan.reasons.append(str(messages.FILING_BUSY).format(filing=filing.pk, state=state))


def _plan_filing(plan: Plan, row: RowValues) -> None:
    wanted = {"callee_source": row.callee_source, "business_carrier": row.business_carrier}
    filing = plan.filing
    if filing is None:
        plan.steps.append(str(messages.STEP_NEW_FILING))
        plan.field_changes = wanted
        plan.scripts = row.scripts
        return
    plan.field_changes = {name: v for name, v in wanted.items() if getattr(filing, name) != v}
    if plan.field_changes:
        labels = ", ".join(_field_label(name) for name in plan.field_changes)
        plan.steps.append(str(messages.STEP_FIELDS).format(filing=filing.pk, fields=labels))
    current = tuple(filing.scripts.order_by("position", "pk").values_list("scene", "content"))
    if current != row.scripts:
        plan.scripts = row.scripts
        plan.steps.append(str(messages.STEP_SCRIPTS).format(count=len(row.scripts)))


def _current_shas(plan: Plan) -> dict[tuple[str, str], str]:
    """(kind, part) → SHA-256 of what the filing would send now (a new filing: what it would
    take over from the company)."""
    links: list[FilingDocument]
    if plan.filing is not None:
        links = list(
            current_links(filing=plan.filing, document__purged_at__isnull=True).select_related(
                "document"
            )
        )
    elif plan.company is not None:
        links = company_current_links(plan.company.pk, COMPANY_FILING.document_kinds)
    else:
        links = []
    return {(link.kind, link.part): link.document.sha256 for link in links}


def _plan_documents(plan: Plan, files: Sequence[RowFile]) -> None:
    current = _current_shas(plan)
    by_kind: dict[str, list[RowFile]] = {}
    # A kind whose file is refused is not missing as well: the file's problem says what to do.
    refused_kinds: set[str] = set()
    for file in files:
        if file.problem:
            plan.reasons.append(file.problem)
            refused_kinds.add(file.kind)
        else:
            by_kind.setdefault(file.kind, []).append(file)
    changed = []
    for kind in COMPANY_FILING.document_kinds:
        given = by_kind.get(kind)
        if given is None:
            if (kind, Document.Part.MAIN) not in current and kind not in refused_kinds:
                plan.reasons.append(
                    str(messages.DOCUMENT_MISSING).format(
                        document=Document.Kind(kind).label,
                        path=f"{plan.credit_code}/{kind}.jpg",
                    )
                )
            continue
        if any(current.get((file.kind, file.part)) != file.sha256 for file in given):
            plan.documents[kind] = sorted(given, key=lambda file: file.part != Document.Part.MAIN)
            changed.append(str(Document.Kind(kind).label))
    if changed:
        plan.steps.append(str(messages.STEP_DOCUMENTS).format(documents="; ".join(changed)))


def _plan_numbers(plan: Plan, row: RowValues, context: FileContext) -> None:
    if not row.numbers:
        return
    report = _report(row.numbers)
    wanted: dict[str, str] = {}
    for entry in report.lines:
        if entry.reason or not entry.digits:
            plan.reasons.append(
                str(messages.NUMBER_REFUSED).format(text=entry.text, reason=entry.reason)
            )
            continue
        others = _lines(context.number_lines.get(entry.digits, []), row.line)
        if others:
            plan.reasons.append(str(messages.NUMBER_TWICE).format(text=entry.text, lines=others))
            continue
        wanted.setdefault(entry.digits, entry.text)
    if not wanted:
        return
    own: Q = Q(company=plan.company) if plan.company is not None else Q(pk__in=[])
    found = (
        PhoneNumber.objects.filter(digits__in=list(wanted))
        .filter(own | TAKEN_ELSEWHERE)
        .order_by("digits", "pk")
        .values_list("digits", "company_id", "state", "open_filing_id", "company__name")
    )
    refused: dict[str, str] = {}
    for digits, company_id, state, open_filing_id, company_name in found:
        if plan.company is not None and company_id == plan.company.pk:
            wanted.pop(digits, None)  # already this company's: nothing to add
        else:
            refused.setdefault(digits, taken_elsewhere_reason(company_name, state, open_filing_id))
    for digits, reason in refused.items():
        if digits in wanted:
            text = wanted.pop(digits)
            plan.reasons.append(str(messages.NUMBER_REFUSED).format(text=text, reason=reason))
    plan.numbers = list(wanted.values())
    if plan.numbers:
        plan.steps.append(str(messages.STEP_NUMBERS).format(count=len(plan.numbers)))


def _refuse_busy(plan: Plan) -> None:
    """A row with changes never touches a filing in review or later."""
    filing = plan.filing
    if filing is None or filing.status == State.DRAFT or not plan.changes:
        return
    state = filing.get_status_display()
    plan.reasons.append(str(messages.FILING_BUSY).format(filing=filing.pk, state=state))
