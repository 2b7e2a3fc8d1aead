"""Streamed CSV and JSON Lines exports of submissions and the audit trail (constant memory)."""

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from filings import audit
from filings.audit.anchors import Anchor, Verification, verify_trail
from filings.personal_data import hidden_kinds
from filings.redaction import redact_event_data
from filings.selectors import (
    AUDIT_EXPORT_FIELDS,
    SUBMISSION_EXPORT_FIELDS,
    audit_rows,
    submission_rows,
)
from filings.services.anchoring import audit_anchor
from filings.services.common import Actor, require_perm

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str], meta: dict[str, Any], rows: Iterable[Sequence[Any]]
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read the UTF-8 (Chinese) text correctly
    yield writer.writerow([f"# {key}: {value}" for key, value in meta.items()])
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def jsonl_lines(
    header: Sequence[str], meta: dict[str, Any], rows: Iterable[Sequence[Any]]
) -> Iterator[str]:
    yield json.dumps({"export": meta}, ensure_ascii=False) + "\n"
    for row in rows:
        record = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in zip(header, row, strict=True)
        }
        yield json.dumps(record, ensure_ascii=False, default=str) + "\n"


def _meta(what: str, verification: Verification, anchor: Anchor | None) -> dict[str, Any]:
    report = verification.chain
    problems = [f"#{report.bad_seq}: {report.reason}"] if not report.ok else []
    problems += [str(problem) for problem in verification.problems]
    return {
        "what": what,
        "chain_verified": verification.ok,
        "chain_problem": "; ".join(problems),
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "anchors_checked": verification.anchors,
        "anchor_seq": anchor.seq if anchor else "",
        "anchor_hash": anchor.hash if anchor else "",
    }


WRITERS = {"csv": csv_lines, "jsonl": jsonl_lines}
# Audit-shaped exports: the whole trail, and the trail's record of who saw which document.
EVENT_EXPORTS = ("audit", "access")
DATA_COLUMN = AUDIT_EXPORT_FIELDS.index("data")


def _redacted(rows: Iterator[tuple[Any, ...]], hidden: frozenset[str]) -> Iterator[tuple[Any, ...]]:
    """Rows with the ID documents' file names hidden from a user who may not see them."""
    for row in rows:
        data = redact_event_data(row[DATA_COLUMN], hidden_kinds=hidden)
        yield (*row[:DATA_COLUMN], data, *row[DATA_COLUMN + 1 :])


def history_export(
    *, actor: Actor, what: str, fmt: str, queryset: QuerySet[Any], filters: dict[str, str]
) -> Iterator[str]:
    """Record the export as an audit event, verify the trail, anchor it, then stream the rows.

    The first line states the verification (chain and anchors), the head (seq and hash) and the
    anchor written for this export, so an auditor holding an earlier export, or the anchor
    store, can prove that later history kept its tail.
    """
    require_perm(actor, "filings.export_history")
    if what not in ("submissions", *EVENT_EXPORTS) or fmt not in WRITERS:
        raise ValueError(f"unknown export {what}.{fmt}")
    with transaction.atomic():
        event = audit.record(
            actor=actor,
            kind="audit.exported",
            target=actor,  # type: ignore[arg-type]
            data={"what": what, "format": fmt, "filters": filters},
        )
    verification = verify_trail()
    meta = _meta(what, verification, audit_anchor())
    if what in EVENT_EXPORTS:
        rows = audit_rows(queryset.filter(seq__lte=event.seq))
        hidden = hidden_kinds(actor)
        if hidden:
            rows = _redacted(rows, hidden)
        return WRITERS[fmt](AUDIT_EXPORT_FIELDS, meta, rows)
    return WRITERS[fmt](SUBMISSION_EXPORT_FIELDS, meta, submission_rows(queryset))
