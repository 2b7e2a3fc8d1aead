"""Phone numbers from an uploaded CSV or XLSX list. Pure: bytes in, items out; no ORM, no I/O."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING

import openpyxl
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from filings.file_types import KIND_LABELS, sniff_type
from filings.phone_numbers import MAX_ITEMS, NumberReport, report_items

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
# A header row and MAX_ITEMS numbers.
MAX_ROWS = MAX_ITEMS + 1
# Rows past MAX_ROWS may be empty (formatting left behind); reading stops here regardless.
MAX_SCANNED_ROWS = 100_000
# XML elements in all parts together. A sheet of MAX_ITEMS numbers with a few more columns has
# about 100,000 (a row, and a cell with its value, each count); openpyxl reads some 100,000 a
# second.
MAX_ELEMENTS = 200_000
ZIP_SIGNATURE = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"

FILE_EMPTY = _("The file is empty. Upload a CSV or XLSX file with one number a row.")
FILE_TOO_BIG = _(
    "The file is larger than 2 MB. A list of numbers is far smaller: upload only the numbers, "
    "or split the list into several files."
)
UNPACKS_TOO_BIG = _(
    "The file unpacks to more than 20 MB, far more than a list of numbers needs. Copy the "
    "numbers into the first column of a new workbook and upload that."
)
TOO_MANY_ROWS = _(
    "The file has more than {max_items} rows. Split it into files of at most {max_items} "
    "numbers and upload them one after the other."
)
TOO_MANY_ELEMENTS = _(
    "The workbook holds far more than a list of numbers needs. Copy the numbers into the first "
    "column of a new workbook and upload that."
)
ZIP_NOT_XLSX = _(
    "The file is a ZIP archive but not an Excel workbook. Upload the list as an XLSX or CSV file."
)
XLSX_UNREADABLE = _(
    "The file looks like an Excel workbook but cannot be read. Open it in Excel or WPS, save it "
    "again as XLSX (or CSV) and upload the new file."
)
NO_WORKSHEET = _("The workbook has no worksheet. Put the numbers in the first column of a sheet.")
OLD_OR_LOCKED_EXCEL = _(
    "The file is an old-style Excel file (.xls) or is protected by a password. Remove any "
    "password, save it as XLSX or CSV and upload that."
)
NOT_A_LIST = _(
    "The file is {kind}, not a list of numbers. Upload an XLSX or CSV file with one number a row "
    "in the first column."
)
NOT_TEXT = _(
    "The file is neither an Excel workbook (XLSX) nor a CSV text file in UTF-8 or GB18030. Save "
    "the list from Excel or WPS as XLSX or “CSV UTF-8” and upload that."
)
CSV_UNREADABLE = _(
    "The file cannot be read as CSV (near line {line}). Save it again from Excel or WPS as "
    "“CSV UTF-8” and upload the new file."
)
SCIENTIFIC_NOTATION = _(
    "Row {row} of the file holds {text}: the number was saved in scientific notation and its "
    "last digits are lost. Format the column as Text, enter the numbers again and save the file."
)

# Control characters other than tab and line ends never appear in a text list.
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_TEXT_KINDS = frozenset({"text", "unknown"})


class NumberFileError(ValueError):
    """An uploaded list that cannot be read; `reason` says what to do instead."""

    def __init__(self, reason: StrOrPromise) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_file(data: bytes) -> NumberReport:
    """Every number of an uploaded CSV or XLSX list with its verdict, as parse_list gives."""
    return report_items(read_items(data))


def read_items(data: bytes) -> list[tuple[int, str]]:
    """The `(row, text)` items of the first column of an XLSX's first sheet or of a CSV.

    The type is told from the content, never from a file name: a ZIP is read as XLSX; anything
    else must be UTF-8 (BOM or not) or GB18030 text, read as CSV. Empty cells are skipped, and
    so is the first non-empty cell when it has no digit (a header). Raises NumberFileError for
    anything else, and for a file that is too large, unpacks too large, or has a number past
    row MAX_ROWS.
    """
    if not data:
        raise _error(FILE_EMPTY)
    if len(data) > MAX_FILE_BYTES:
        raise _error(FILE_TOO_BIG)
    if data.startswith(ZIP_SIGNATURE):
        return _first_column_items(_xlsx_first_column(data))
    return _first_column_items(_csv_first_column(_decode_text(data)))


def _error(message: StrOrPromise, **params: object) -> NumberFileError:
    return NumberFileError(format_lazy(message, **params) if params else message)


def _first_column_items(cells: Iterable[object]) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    before_first_filled = True
    for row, value in enumerate(cells, start=1):
        if row > MAX_SCANNED_ROWS:
            raise _error(TOO_MANY_ROWS, max_items=f"{MAX_ITEMS:,}")
        text = _cell_text(value)
        if not text:
            continue
        if row > MAX_ROWS:
            raise _error(TOO_MANY_ROWS, max_items=f"{MAX_ITEMS:,}")
        is_header = before_first_filled and not _DIGIT.search(text)
        before_first_filled = False
        if is_header:
            continue
        if _SCIENTIFIC.fullmatch(text):
            raise _error(SCIENTIFIC_NOTATION, row=row, text=text)
        items.append((row, text))
    if len(items) > MAX_ITEMS:
        raise _error(TOO_MANY_ROWS, max_items=f"{MAX_ITEMS:,}")
    return items


def _cell_text(value: object) -> str:
    """A cell as text; whole numbers stored as numbers (13812345678.0) become their digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_first_column(data: bytes) -> list[object]:
    _check_archive(data)
    try:
        # Warnings about styles and extensions concern parts of the workbook we do not read.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_first_column(data)
    except NumberFileError:
        raise
    except Exception as error:  # openpyxl reports a damaged workbook with many exception types
        raise _error(XLSX_UNREADABLE) from error


def _read_first_column(data: bytes) -> list[object]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise _error(NO_WORKSHEET)
        sheet = workbook.worksheets[0]
        # Explicit bounds: without them openpyxl trusts the sheet's own (possibly lying) dimension.
        rows = sheet.iter_rows(max_col=1, max_row=MAX_SCANNED_ROWS + 1, values_only=True)
        return [row[0] if row else None for row in rows]
    finally:
        workbook.close()


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_entries(archive)
    except NumberFileError:
        raise
    except Exception as error:  # zipfile raises several exception types for a damaged archive
        raise _error(XLSX_UNREADABLE) from error


def _check_entries(archive: zipfile.ZipFile) -> None:
    entries = archive.infolist()
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _error(ZIP_NOT_XLSX)
    # zipfile never unpacks more than an entry's declared size, so the sum bounds the work.
    if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
        raise _error(UNPACKS_TOO_BIG)
    # openpyxl parses every element of every sheet, not only the first column: bound its work.
    if sum(_element_count(archive.read(entry)) for entry in entries) > MAX_ELEMENTS:
        raise _error(TOO_MANY_ELEMENTS)


def _element_count(part: bytes) -> int:
    return part.count(b"<") - part.count(b"</")


def _decode_text(data: bytes) -> str:
    kind = sniff_type(data)
    if kind == "ole":
        raise _error(OLD_OR_LOCKED_EXCEL)
    if kind not in _TEXT_KINDS:
        raise _error(NOT_A_LIST, kind=KIND_LABELS[kind])
    encodings = ("utf-8-sig",) if data.startswith(UTF8_BOM) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _BINARY_CHARACTERS.search(text):
            return text
        break
    raise _error(NOT_TEXT)


def _csv_first_column(text: str) -> list[object]:
    """The first field of every CSV row; fields are split at commas, unless the first line has
    none but has tabs or semicolons (a tab- or semicolon-separated export)."""
    first_line = text.partition("\n")[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = next((d for d in "\t;" if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    cells: list[object] = []
    try:
        for row in reader:
            cells.append(row[0] if row else None)
            if len(cells) > MAX_SCANNED_ROWS:
                break
    except csv.Error as error:
        raise _error(CSV_UNREADABLE, line=reader.line_num) from error
    return cells
