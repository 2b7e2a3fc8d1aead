"""Phone numbers from an uploaded CSV or XLSX list. Pure: bytes in, items out; no ORM, no I/O."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from filings.phone_numbers import MAX_ITEMS, NumberReport, report_items
from filings.tables import (
    SCIENTIFIC,
    Table,
    TableError,
    TableLimits,
    TableMessages,
    cell_text,
    read_table,
)
from filings.tables import UTF8_BOM as UTF8_BOM
from filings.tables import ZIP_SIGNATURE as ZIP_SIGNATURE

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

_DIGIT = re.compile(r"\d")
_MESSAGES = TableMessages(
    file_empty=FILE_EMPTY,
    file_too_big=FILE_TOO_BIG,
    unpacks_too_big=UNPACKS_TOO_BIG,
    too_many_elements=TOO_MANY_ELEMENTS,
    zip_not_xlsx=ZIP_NOT_XLSX,
    xlsx_unreadable=XLSX_UNREADABLE,
    no_worksheet=NO_WORKSHEET,
    old_or_locked_excel=OLD_OR_LOCKED_EXCEL,
    not_a_table=NOT_A_LIST,
    not_text=NOT_TEXT,
    csv_unreadable=CSV_UNREADABLE,
)


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
    limits = TableLimits(
        file_bytes=MAX_FILE_BYTES,
        unpacked_bytes=MAX_UNCOMPRESSED_BYTES,
        elements=MAX_ELEMENTS,
        scanned_rows=MAX_SCANNED_ROWS,
        # A filled row past MAX_ROWS is refused, so more filled rows than that are never needed.
        filled_rows=MAX_ROWS,
        columns=1,
    )
    try:
        # A control character anywhere means the file is not a list of numbers; a companies
        # sheet instead reports one in UTF-8 text as its row's problem.
        table = read_table(data, limits, _MESSAGES, controls_in_utf8=False)
    except TableError as error:
        raise NumberFileError(error.reason) from error
    return _first_column_items(table)


def _error(message: StrOrPromise, **params: object) -> NumberFileError:
    return NumberFileError(format_lazy(message, **params) if params else message)


def _too_many_rows() -> NumberFileError:
    return _error(TOO_MANY_ROWS, max_items=f"{MAX_ITEMS:,}")


def _first_column_items(table: Table) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    for position, (row, cells) in enumerate(table.rows):
        if row > MAX_ROWS:
            raise _too_many_rows()
        text = cell_text(cells[0])
        if position == 0 and not _DIGIT.search(text):
            continue  # a header
        if SCIENTIFIC.fullmatch(text):
            raise _error(SCIENTIFIC_NOTATION, row=row, text=text)
        items.append((row, text))
    if table.truncated or len(items) > MAX_ITEMS:
        raise _too_many_rows()
    return items
