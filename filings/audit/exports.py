"""Streamed CSV and JSON Lines exports of submissions and the audit trail (constant memory).

CSV is for people (Excel): the first row is the header in words of the user's language, UTF-8
with a BOM, times in the configured zone with their offset. JSON Lines is for programs: field
names as stored, and a first line stating the verification. Both state the verification in the
download's file name and the `X-Audit-Verification` header (`HistoryExport.statement`).
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial
from itertools import islice
from types import SimpleNamespace
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from filings import audit
from filings.audit.anchors import Anchor, Verification, verify_trail
from filings.audit.labels import EVENT_LABELS
from filings.models import AuditEvent, Submission
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
# `json.dumps(value, ensure_ascii=False, sort_keys=True)`, the encoder made once, not once a cell.
SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
HEADER = "X-Audit-Verification"
# Columns whose model field has no name a person would read.
COLUMN_NAMES = {
    "id": _("submission"),
    "filing_id": _("filing"),
    "actor__username": _("sent by"),
    "prev_hash": _("previous hash"),
    "hash": _("hash"),
    "event": _("event"),
}


def neutralise(value: Any) -> Any:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def local_iso(value: datetime) -> str:
    """ISO 8601 in the configured zone, with its offset (`2026-11-30T13:48:05.123+08:00`)."""
    return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()


def _text(value: str) -> str:
    """A text cell, a formula neutralised (the same result as neutralise())."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _time(value: datetime, zone: tzinfo) -> str:
    """A time cell in `zone` with its offset (the same result as local_iso())."""
    return (value.astimezone(zone) if value.tzinfo is not None else value).isoformat()


def _cell(value: Any, zone: tzinfo) -> Any:
    # Strings first: most cells are text.
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, datetime):
        return _time(value, zone)
    if isinstance(value, dict | list):
        return SORTED_JSON.encode(value)
    return value


def column_name(model: type[models.Model], path: str) -> str:
    """The column's name in the active language: the model field's own verbose name."""
    if path in COLUMN_NAMES:
        return capfirst(str(COLUMN_NAMES[path]))
    *relations, last = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model  # type: ignore[assignment]
    field = model._meta.get_field(last)  # a foreign key's `_id` names the key itself
    return capfirst(str(field.verbose_name))  # type: ignore[union-attr]


def _cells(rows: Iterable[Sequence[Any]], zone: tzinfo) -> Iterator[list[Any]]:
    """Any export's rows, each cell through _cell()."""
    return ([_cell(value, zone) for value in row] for row in rows)


# Rows written to one piece of the CSV stream: fewer, longer pieces for the response to send.
ROWS_PER_PIECE = 500


def csv_lines(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    cells: Callable[[Iterable[Sequence[Any]], tzinfo], Iterator[Sequence[Any]]] = _cells,
) -> Iterator[str]:
    """The CSV text in pieces: the BOM, the header line, then up to ROWS_PER_PIECE rows each,
    their cells made by `cells` (the rows, the time zone)."""
    written: list[str] = []
    writer = csv.writer(SimpleNamespace(write=written.append))
    yield "\ufeff"  # so spreadsheet programs read the UTF-8 (Chinese) text correctly
    writer.writerow(header)
    yield written.pop()
    zone = timezone.get_current_timezone()  # once, not once a cell: the rows stream later
    converted = cells(rows, zone)
    while True:
        writer.writerows(islice(converted, ROWS_PER_PIECE))
        if not written:
            return
        yield "".join(written)
        written.clear()


def jsonl_lines(
    fields: Sequence[str], meta: dict[str, Any], rows: Iterable[Sequence[Any]]
) -> Iterator[str]:
    yield json.dumps({"export": meta}, ensure_ascii=False) + "\n"
    for row in rows:
        record = {
            name: local_iso(value) if isinstance(value, datetime) else value
            for name, value in zip(fields, row, strict=True)
        }
        yield json.dumps(record, ensure_ascii=False, default=str) + "\n"


def _meta(
    what: str, filters: dict[str, str], verification: Verification, anchor: Anchor | None
) -> dict[str, Any]:
    report = verification.chain
    problems = [f"#{report.bad_seq}: {report.reason}"] if not report.ok else []
    problems += [str(problem) for problem in verification.problems]
    return {
        "what": what,
        "filters": filters,
        "exported_at": local_iso(timezone.now()),
        "chain_verified": verification.ok,
        "chain_problem": "; ".join(problems),
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "anchors_checked": verification.anchors,
        # The chain was walked from this anchor on (0: from the first event); every anchor,
        # this one included, was checked against the event it names.
        "verified_after_seq": verification.since.seq if verification.since else 0,
        "anchor_seq": anchor.seq if anchor else "",
        "anchor_hash": anchor.hash if anchor else "",
    }


@dataclass(frozen=True)
class HistoryExport:
    """An export ready to stream: its lines, and what its verification found."""

    fmt: str
    meta: dict[str, Any]
    lines: Iterator[str]

    def __iter__(self) -> Iterator[str]:
        return self.lines

    @property
    def statement(self) -> str:
        """One line of ASCII for the HTTP header: the verification, the head and the anchor."""
        meta = self.meta
        verdict = "verified" if meta["chain_verified"] else "NOT verified"
        parts = [
            f"chain {verdict} up to seq {meta['head_seq']} hash {meta['head_hash']}",
            f"anchors checked {meta['anchors_checked']}",
        ]
        if meta["verified_after_seq"]:
            parts.append(f"events walked after anchor seq {meta['verified_after_seq']}")
        if meta["anchor_seq"] != "":
            parts.append(f"anchor written seq {meta['anchor_seq']} hash {meta['anchor_hash']}")
        if meta["chain_problem"]:
            parts.append(f"problem {meta['chain_problem']}")
        text = "; ".join(parts)
        return text.encode("ascii", "replace").decode("ascii")

    def filename(self, subject: str) -> str:
        """`audit-filing-7-20261130T134805+0800-verified-seq1234-3f2a9c1b0d4e.csv`."""
        meta = self.meta
        stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S%z")
        verdict = "verified" if meta["chain_verified"] else "NOT-VERIFIED"
        return (
            f"{subject}-{stamp}-{verdict}-seq{meta['head_seq']}-{meta['head_hash'][:12]}.{self.fmt}"
        )


WRITERS = ("csv", "jsonl")
# Audit-shaped exports: the whole trail, and the trail's record of who saw which document.
EVENT_EXPORTS = ("audit", "access")
DATA_COLUMN = AUDIT_EXPORT_FIELDS.index("data")
KIND_COLUMN = AUDIT_EXPORT_FIELDS.index("kind")


def _redacted(rows: Iterator[tuple[Any, ...]], hidden: frozenset[str]) -> Iterator[tuple[Any, ...]]:
    """Rows with the ID documents' file names hidden from a user who may not see them."""
    for row in rows:
        data = redact_event_data(row[DATA_COLUMN], hidden_kinds=hidden)
        yield (*row[:DATA_COLUMN], data, *row[DATA_COLUMN + 1 :])


def _audit_csv_cells(
    rows: Iterable[Sequence[Any]], zone: tzinfo, labels: dict[str, str]
) -> Iterator[tuple[Any, ...]]:
    """The audit CSV's cells, as _cell() makes them, with the event's readable name after its
    kind (CSV: for people).

    A row is unpacked in AUDIT_EXPORT_FIELDS' order and each column converted by its type:
    numbers (seq, actor and filing ids) as they are, the time in `zone`, text (never NULL)
    neutralised, the data through _cell() (JSON or text). The kind and its name are converted
    once a kind.
    """
    named: dict[str, tuple[str, str]] = {}
    for (
        seq,
        created_at,
        actor_id,
        actor_username,
        kind,
        target_type,
        target_id,
        filing_id,
        data,
        prev_hash,
        hash_,
    ) in rows:
        kind_cells = named.get(kind)
        if kind_cells is None:
            kind_cells = named[kind] = (_text(kind), _text(labels.get(kind, kind)))
        yield (
            seq,
            _time(created_at, zone),
            actor_id,
            _text(actor_username),
            *kind_cells,
            _text(target_type),
            _text(target_id),
            filing_id,
            _cell(data, zone),
            _text(prev_hash),
            _text(hash_),
        )


# The CSV's columns, in order: the exported fields, and the event's label after its kind.
AUDIT_CSV_COLUMNS = (
    *AUDIT_EXPORT_FIELDS[: KIND_COLUMN + 1],
    "event",
    *AUDIT_EXPORT_FIELDS[KIND_COLUMN + 1 :],
)


def csv_columns(what: str) -> tuple[str, ...]:
    """The field behind each column of a CSV export (its header names them in words)."""
    return AUDIT_CSV_COLUMNS if what in EVENT_EXPORTS else SUBMISSION_EXPORT_FIELDS


def history_export(
    *, actor: Actor, what: str, fmt: str, queryset: QuerySet[Any], filters: dict[str, str]
) -> HistoryExport:
    """Record the export as an audit event, verify the trail, anchor it, then stream the rows.

    The trail is verified as the daily check does it: every anchor against the event it names,
    and the chain from the newest anchor that agrees (the whole chain when none does).
    The verification (chain and anchors), the head (seq and hash) and the anchor written for
    this export are stated in `meta`, so an auditor holding an earlier export, or the anchor
    store, can prove that later history kept its tail. Everything in the user's language is
    worked out here, while the request's language is active; the rows stream later.
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
    # From the newest anchor that agrees with the database, as `verify_audit
    # --since-last-anchor` does: the time to the first row stays that of the events since the
    # last anchor, not of the whole trail. The whole walk is `verify_audit` without options.
    verification = verify_trail(since_last_anchor=True)
    meta = _meta(what, filters, verification, audit_anchor())
    if what in EVENT_EXPORTS:
        rows = audit_rows(queryset.filter(seq__lte=event.seq))
        hidden = hidden_kinds(actor)
        if hidden:
            rows = _redacted(rows, hidden)
        if fmt == "jsonl":
            return HistoryExport(fmt, meta, jsonl_lines(AUDIT_EXPORT_FIELDS, meta, rows))
        labels = {kind: str(label) for kind, label in EVENT_LABELS.items()}
        header = [column_name(AuditEvent, name) for name in AUDIT_CSV_COLUMNS]
        cells = partial(_audit_csv_cells, labels=labels)
        return HistoryExport(fmt, meta, csv_lines(header, rows, cells))
    rows = submission_rows(queryset)
    if fmt == "jsonl":
        return HistoryExport(fmt, meta, jsonl_lines(SUBMISSION_EXPORT_FIELDS, meta, rows))
    header = [column_name(Submission, name) for name in csv_columns(what)]
    return HistoryExport(fmt, meta, csv_lines(header, rows))
