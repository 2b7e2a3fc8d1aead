"""Uploaded CSV and XLSX files as bounded rows of cells: the type told from the content, archive
and element limits, text decoding. Pure: bytes in, rows out; no ORM, no I/O."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import openpyxl
from django.utils.text import format_lazy

from filings.file_types import KIND_LABELS, sniff_type

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ZIP_SIGNATURE = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
# A number Excel shows in scientific notation (1.38123E+10) has lost its last digits.
SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)

# Control characters other than tab and line ends: binary data, not text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TEXT_KINDS = frozenset({"text", "unknown"})

Row = tuple[object, ...]


@dataclass(frozen=True)
class TableLimits:
    file_bytes: int  # the upload itself
    unpacked_bytes: int  # an XLSX's entries together, as declared in the archive
    elements: int  # XML elements in all of an XLSX's parts together
    scanned_rows: int  # rows read, blank ones included; rows past them may only be blank
    filled_rows: int  # non-blank rows kept
    columns: int  # cells kept from each row, from the first


@dataclass(frozen=True)
class TableMessages:
    """What the caller tells its users; `not_a_table` takes {kind}, `csv_unreadable` {line}."""

    file_empty: StrOrPromise
    file_too_big: StrOrPromise
    unpacks_too_big: StrOrPromise
    too_many_elements: StrOrPromise
    zip_not_xlsx: StrOrPromise
    xlsx_unreadable: StrOrPromise
    no_worksheet: StrOrPromise
    old_or_locked_excel: StrOrPromise
    not_a_table: StrOrPromise
    not_text: StrOrPromise
    csv_unreadable: StrOrPromise


@dataclass(frozen=True)
class Table:
    rows: list[tuple[int, Row]]  # the non-blank rows with their line numbers (1 is the first)
    truncated: bool  # a row past the limits was left unread: the table is too long


class TableError(ValueError):
    """A file that cannot be read as a table; `reason` is one of the caller's messages."""

    def __init__(self, reason: StrOrPromise) -> None:
        super().__init__(reason)
        self.reason = reason


def read_table(
    data: bytes,
    limits: TableLimits,
    messages: TableMessages,
    *,
    controls_in_utf8: bool = False,
) -> Table:
    """The first sheet of an XLSX or the records of a CSV, at most `limits.columns` cells a row.

    The type is told from the content, never from a file name: a ZIP is read as XLSX; anything
    else must be UTF-8 (BOM or not) or GB18030 text, read as CSV. A control character (other than
    tab and line ends) means the file is not text, unless `controls_in_utf8`: then text that reads
    as UTF-8 may hold them (the caller reports them cell by cell), though never a NUL. Raises
    TableError with one of `messages`.
    """
    if not data:
        raise TableError(messages.file_empty)
    if len(data) > limits.file_bytes:
        raise TableError(messages.file_too_big)
    if data.startswith(ZIP_SIGNATURE):
        return _xlsx_table(data, limits, messages)
    text = _decode_text(data, messages, controls_in_utf8=controls_in_utf8)
    return _filled(_csv_records(text, limits, messages), limits)


def cell_text(value: object) -> str:
    """A cell as text; whole numbers stored as numbers (13812345678.0) become their digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _filled(rows: Iterable[Iterable[object]], limits: TableLimits) -> Table:
    filled: list[tuple[int, Row]] = []
    for line, row in enumerate(rows, start=1):
        # Rows are read up to one past the bound: reaching it means the table goes on.
        if line > limits.scanned_rows:
            return Table(filled, truncated=True)
        cells = tuple(row)[: limits.columns]
        if not any(cell_text(value) for value in cells):
            continue
        if len(filled) == limits.filled_rows:
            return Table(filled, truncated=True)
        filled.append((line, cells))
    return Table(filled, truncated=False)


def _xlsx_table(data: bytes, limits: TableLimits, messages: TableMessages) -> Table:
    _check_archive(data, limits, messages)
    try:
        # Warnings about styles and extensions concern parts of the workbook we do not read.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_first_sheet(data, limits, messages)
    except TableError:
        raise
    except Exception as error:  # openpyxl reports a damaged workbook with many exception types
        raise TableError(messages.xlsx_unreadable) from error


def _read_first_sheet(data: bytes, limits: TableLimits, messages: TableMessages) -> Table:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise TableError(messages.no_worksheet)
        sheet = workbook.worksheets[0]
        # Explicit bounds: without them openpyxl trusts the sheet's own (possibly lying) dimension.
        rows = sheet.iter_rows(
            max_col=limits.columns, max_row=limits.scanned_rows + 1, values_only=True
        )
        return _filled(rows, limits)
    finally:
        workbook.close()


def _check_archive(data: bytes, limits: TableLimits, messages: TableMessages) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise TableError(messages.zip_not_xlsx)
            # zipfile never unpacks more than an entry's declared size, so the sum bounds the work.
            if sum(entry.file_size for entry in entries) > limits.unpacked_bytes:
                raise TableError(messages.unpacks_too_big)
            # openpyxl parses every element of the parts it reads, not only the cells kept.
            if sum(_element_count(archive.read(entry)) for entry in entries) > limits.elements:
                raise TableError(messages.too_many_elements)
    except TableError:
        raise
    except Exception as error:  # zipfile raises several exception types for a damaged archive
        raise TableError(messages.xlsx_unreadable) from error


def _element_count(part: bytes) -> int:
    return part.count(b"<") - part.count(b"</")


def _decode_text(data: bytes, messages: TableMessages, *, controls_in_utf8: bool) -> str:
    kind = sniff_type(data)
    if kind == "ole":
        raise TableError(messages.old_or_locked_excel)
    if kind not in _TEXT_KINDS:
        raise TableError(format_lazy(messages.not_a_table, kind=KIND_LABELS[kind]))
    encodings = ("utf-8-sig",) if data.startswith(UTF8_BOM) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A NUL, or any control character in what only GB18030 reads, means the file is no text.
        controls_allowed = controls_in_utf8 and encoding != "gb18030"
        if "\x00" in text or (not controls_allowed and _CONTROL_CHARACTERS.search(text)):
            break
        return text
    raise TableError(messages.not_text)


def _csv_records(text: str, limits: TableLimits, messages: TableMessages) -> list[list[str]]:
    """The CSV's records, up to one past `limits.scanned_rows`; fields are split at commas,
    unless the first line has none but has tabs or semicolons (a tab- or semicolon-separated
    export)."""
    first_line = text.partition("\n")[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = next((d for d in "\t;" if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) > limits.scanned_rows:
                break
    except csv.Error as error:
        raise TableError(format_lazy(messages.csv_unreadable, line=reader.line_num)) from error
    return records
