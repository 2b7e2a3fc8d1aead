"""The companies sheet of an import (XLSX or CSV). Pure: bytes in, rows out; no ORM, no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from filings.tables import SCIENTIFIC, TableError, TableLimits, TableMessages, cell_text, read_table

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_ROWS = 1000  # companies a sheet
MAX_SCRIPTS = 5  # scene/script column pairs
MAX_FILE_BYTES = 5 * 1024 * 1024
# 1,000 rows of five 2,000-character scripts in UTF-8 come to some 30 MB unpacked.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# XML elements in all parts together: a row, a cell and its value each count, and so does
# each shared string. 1,000 companies with every column filled need about 60,000.
MAX_ELEMENTS = 300_000
# Rows past the last company may be empty (formatting left behind); reading stops here.
MAX_SCANNED_ROWS = 100_000
# Columns read from each row; the header's columns must all sit within them.
MAX_COLUMNS = 100

# What the model fields hold (Company.name, Filing.callee_source/.business_carrier, CallScript).
NAME_MAX_LENGTH = 200
CALLEE_SOURCE_MAX_LENGTH = 500
BUSINESS_CARRIER_MAX_LENGTH = 200
SCENE_MAX_LENGTH = 100
SCRIPT_MAX_LENGTH = 2000

FILE_EMPTY = _("The file is empty. Upload the companies as an XLSX or CSV file.")
FILE_TOO_BIG = _(
    "The file is larger than 5 MB, far more than 1,000 companies need. Remove pictures and "
    "other sheets from the workbook, or split the companies into several files."
)
UNPACKS_TOO_BIG = _(
    "The workbook unpacks to more than 50 MB, far more than a list of companies needs. Copy the "
    "companies into the template and upload that."
)
TOO_MANY_ELEMENTS = _(
    "The workbook holds far more than a list of companies needs. Copy the companies into the "
    "template and upload that."
)
ZIP_NOT_XLSX = _(
    "The file is a ZIP archive but not an Excel workbook. Upload the companies as an XLSX or CSV "
    "file (the document images go in the separate ZIP upload)."
)
XLSX_UNREADABLE = _(
    "The file looks like an Excel workbook but cannot be read. Open it in Excel or WPS, save it "
    "again as XLSX (or CSV) and upload the new file."
)
NO_WORKSHEET = _("The workbook has no worksheet. Put the companies in the first sheet.")
OLD_OR_LOCKED_EXCEL = _(
    "The file is an old-style Excel file (.xls) or is protected by a password. Remove any "
    "password, save it as XLSX or CSV and upload that."
)
NOT_A_SHEET = _(
    "The file is {kind}, not a spreadsheet. Upload the companies as an XLSX or CSV file; the "
    "template shows the columns."
)
NOT_TEXT = _(
    "The file is neither an Excel workbook (XLSX) nor a CSV text file in UTF-8 or GB18030. Save "
    "the sheet from Excel or WPS as XLSX or “CSV UTF-8” and upload that."
)
CSV_UNREADABLE = _(
    "The file cannot be read as CSV (near line {line}). Save it again from Excel or WPS as "
    "“CSV UTF-8” and upload the new file."
)
NO_HEADER = _(
    "The sheet is empty. Download the template, enter one company a row and upload it again."
)
MISSING_COLUMNS = _(
    "The first row must name the columns, and these are missing: {columns}. Download the "
    "template, copy the companies into it and upload that."
)
DUPLICATE_COLUMN = _(
    "The column {column} appears twice in the first row ({first} and {second}). Keep one of them "
    "and upload the file again."
)
NO_COMPANIES = _(
    "The sheet has its header row but no company under it. Enter one company a row and upload it "
    "again."
)
TOO_MANY_ROWS = _(
    "The sheet has more than {max_rows} companies. Split it into sheets of at most {max_rows} "
    "companies and upload them one after the other."
)

# Row problems. They name the column, not the row: SheetRow.line says which row.
NAME_MISSING = _("The company name is missing. Enter it as on the business licence.")
CREDIT_CODE_MISSING = _(
    "The unified social credit code is missing. Copy it from the business licence."
)
CREDIT_CODE_AS_NUMBER = _(
    "The credit code was stored as a number, so Excel may have changed its last digits. Format "
    "the column as Text, enter the code again and save the file."
)
SCENE_WITHOUT_SCRIPT = _(
    "Scene {n} has no script. Enter the text in script {n}, or clear scene {n}."
)
SCRIPT_WITHOUT_SCENE = _(
    "Script {n} has no scene. Enter its scene in scene {n} (for example 快递 or 电商), or clear "
    "script {n}."
)
NO_SCRIPT = _("The company has no call script. Enter at least scene 1 and script 1.")
TOO_LONG = _("{column}: {length} characters, but at most {limit} fit. Shorten the text.")
HIDDEN_CHARACTERS = _(
    "{column}: contains line breaks or hidden control characters (often copied along from a web "
    "page or another program). Remove the hidden characters: type the text again, or paste it "
    "as plain text."
)
SCIENTIFIC_NOTATION = _(
    "{column}: {text} was saved in scientific notation and its last digits are lost. Format the "
    "column as Text, enter the value again and save the file."
)


@dataclass(frozen=True)
class Column:
    """A column of the sheet: how the template heads it and how the import page explains it."""

    key: str  # "name", "credit_code", "callee_source", "business_carrier", "scene1"…, "numbers"
    header: str  # the template's header text
    label: StrOrPromise  # what problems and the import page call it
    meaning: StrOrPromise
    required: bool  # the column must be present (a cell may still be empty)
    aliases: tuple[str, ...]  # other header texts taken for it (API field names, Chinese names)
    max_length: int | None = None


SCENE_MEANING = _("What call script {n} is for (such as 快递 or 电商); at most {limit} characters.")
SCRIPT_MEANING = _("The words of call script {n}; at most {limit} characters, line breaks allowed.")


# Scene n and script n: key, header words, label, meaning, limit, headers taken for them.
_SCRIPT_COLUMN_KINDS = (
    ("scene", "Scene", "场景", _("Scene"), SCENE_MEANING, SCENE_MAX_LENGTH, ("scriptScene",)),
    (
        "script",
        "Script",
        "话术",
        _("Script"),
        SCRIPT_MEANING,
        SCRIPT_MAX_LENGTH,
        ("scriptContent",),
    ),
)


def _script_columns(n: int) -> list[Column]:
    """Scene n and script n; the first pair is also found under headers without the number."""
    return [
        Column(
            f"{key}{n}",
            f"{english} {n} {chinese}{n}",
            format_lazy("{label} {n}", label=label, n=n),
            format_lazy(meaning, n=n, limit=limit),
            n == 1,
            tuple(
                f"{alias}{suffix}"
                for alias in (english, chinese, *api)
                for suffix in ((str(n), "") if n == 1 else (str(n),))
            ),
            limit,
        )
        for key, english, chinese, label, meaning, limit, api in _SCRIPT_COLUMN_KINDS
    ]


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "Company name 企业名称",
        _("Company name"),
        _("As on the business licence; at most 200 characters."),
        True,
        ("company name", "companyName", "企业名称", "公司名称"),
        NAME_MAX_LENGTH,
    ),
    Column(
        "credit_code",
        "Credit code 统一社会信用代码",
        _("Credit code"),
        _("The 18-character unified social credit code on the business licence."),
        True,
        (
            "credit code",
            "companyCreditCode",
            "统一社会信用代码",
            "信用代码",
            "unified social credit code",
        ),
    ),
    Column(
        "callee_source",
        "Callee source 被叫来源",
        _("Callee source"),
        _("Where the called numbers come from: 网站, 公众号, 小程序, app or a short description."),
        True,
        ("callee source", "calleeSource", "被叫来源"),
        CALLEE_SOURCE_MAX_LENGTH,
    ),
    Column(
        "business_carrier",
        "Business carrier 业务承载方",
        _("Business carrier"),
        _("The company that carries the business, usually the company name."),
        True,
        ("business carrier", "businessCarrier", "业务承载方", "业务载体"),
        BUSINESS_CARRIER_MAX_LENGTH,
    ),
    *(column for n in range(1, MAX_SCRIPTS + 1) for column in _script_columns(n)),
    Column(
        "numbers",
        "Numbers 号码",
        _("Numbers"),
        _(
            "Optional: the numbers that place calls, one a line in the cell (or separated by "
            "commas or semicolons); mobiles, or fixed lines with their area code."
        ),
        False,
        ("numbers", "aNumbers", "号码", "电话号码", "phone numbers"),
    ),
)
_COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}

# Header text is compared without case, spacing, underscores, hyphens, brackets and stars.
_HEADER_NOISE = re.compile(r"[\s_\-‐‑–—()*:]+")


def header_key(text: str) -> str:
    """`text` as headers are compared: NFKC-folded, case-folded, without spacing and marks."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()


_COLUMN_BY_HEADER = {
    header_key(text): column.key for column in COLUMNS for text in (column.header, *column.aliases)
}


@dataclass(frozen=True)
class SheetRow:
    line: int  # the row's number as a spreadsheet program shows it (the header's row counts)
    name: str
    credit_code: str  # as written, stripped; the caller validates it
    callee_source: str
    business_carrier: str
    scripts: tuple[tuple[str, str], ...]  # (scene, content) in column order, blank pairs dropped
    numbers: tuple[str, ...]  # as written, split and stripped; the caller parses them
    problems: tuple[str, ...]  # what is wrong with the row, as messages; empty when fine


class SheetError(ValueError):
    """A spreadsheet that cannot be read as a whole; `reason` says what to do instead."""

    def __init__(self, reason: StrOrPromise) -> None:
        super().__init__(reason)
        self.reason = reason


def _error(message: StrOrPromise, **params: object) -> SheetError:
    return SheetError(format_lazy(message, **params) if params else message)


# Control characters and invisible formatting characters (zero-width spaces, direction marks).
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# In script content tabs and line breaks are text; carriage returns are folded into them.
_HIDDEN_IN_SCRIPT = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
_HIDDEN_IN_NUMBERS = _HIDDEN_IN_SCRIPT
_NUMBER_SEPARATORS = re.compile(r"[\n,;，；、\t]+")
_MESSAGES = TableMessages(
    file_empty=FILE_EMPTY,
    file_too_big=FILE_TOO_BIG,
    unpacks_too_big=UNPACKS_TOO_BIG,
    too_many_elements=TOO_MANY_ELEMENTS,
    zip_not_xlsx=ZIP_NOT_XLSX,
    xlsx_unreadable=XLSX_UNREADABLE,
    no_worksheet=NO_WORKSHEET,
    old_or_locked_excel=OLD_OR_LOCKED_EXCEL,
    not_a_table=NOT_A_SHEET,
    not_text=NOT_TEXT,
    csv_unreadable=CSV_UNREADABLE,
)


def read_sheet(data: bytes) -> list[SheetRow]:
    """The companies of an XLSX's first sheet or of a CSV, one SheetRow a non-blank row.

    The type is told from the content, never from a file name: a ZIP is read as XLSX, anything
    else must be UTF-8 (BOM or not) or GB18030 text, read as CSV. The first non-blank row is the
    header. Raises SheetError for a file that cannot be read, is too large, lacks a required
    column or has no company or too many.
    """
    # Read at each call, so that the constants above stay the one place that sets the limits.
    limits = TableLimits(
        file_bytes=MAX_FILE_BYTES,
        unpacked_bytes=MAX_UNPACKED_BYTES,
        elements=MAX_ELEMENTS,
        scanned_rows=MAX_SCANNED_ROWS,
        filled_rows=MAX_ROWS + 1,  # the header and the companies
        columns=MAX_COLUMNS,
    )
    try:
        # A control character in a UTF-8 cell is that row's problem (HIDDEN_CHARACTERS), not the
        # whole file's, as it is for a list of numbers.
        table = read_table(data, limits, _MESSAGES, controls_in_utf8=True)
    except TableError as error:
        raise SheetError(error.reason) from error
    if table.truncated:
        raise _error(TOO_MANY_ROWS, max_rows=f"{MAX_ROWS:,}")
    if not table.rows:
        raise _error(NO_HEADER)
    (_, header), *body = table.rows
    positions = _column_positions(header)
    rows = [row for line, cells in body if (row := _sheet_row(line, cells, positions))]
    if not rows:
        raise _error(NO_COMPANIES)
    return rows


def _column_positions(row: Sequence[object]) -> dict[str, int]:
    positions: dict[str, int] = {}
    header = [cell_text(value) for value in row]
    for position, text in enumerate(header):
        key = _COLUMN_BY_HEADER.get(header_key(text))
        if key is None:
            continue
        if key in positions:
            first = header[positions[key]]
            raise _error(
                DUPLICATE_COLUMN,
                column=_COLUMNS_BY_KEY[key].label,
                first=f"“{first.strip()}”",
                second=f"“{text.strip()}”",
            )
        positions[key] = position
    missing = [f"“{c.header}”" for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise _error(MISSING_COLUMNS, columns=", ".join(missing))
    return positions


def _sheet_row(line: int, cells: Sequence[object], positions: dict[str, int]) -> SheetRow | None:
    raw = {key: cells[at] if at < len(cells) else None for key, at in positions.items()}
    values = {key: cell_text(value).strip() for key, value in raw.items()}
    if not any(values.values()):
        return None
    problems: list[StrOrPromise] = []
    name, code = values["name"], values["credit_code"]
    if not name:
        problems.append(NAME_MISSING)
    if not code:
        problems.append(CREDIT_CODE_MISSING)
    elif isinstance(raw["credit_code"], int | float) and not isinstance(raw["credit_code"], bool):
        problems.append(CREDIT_CODE_AS_NUMBER)
    elif SCIENTIFIC.fullmatch(code):
        problems.append(_message(SCIENTIFIC_NOTATION, "credit_code", text=code))
    for key in ("name", "credit_code", "callee_source", "business_carrier"):
        problems += _text_problems(key, values[key], _HIDDEN)
    scripts, script_problems = _scripts(values)
    numbers, number_problems = _numbers(values.get("numbers", ""))
    return SheetRow(
        line=line,
        name=name,
        credit_code=code,
        callee_source=values["callee_source"],
        business_carrier=values["business_carrier"],
        scripts=scripts,
        numbers=numbers,
        problems=tuple(str(problem) for problem in [*problems, *script_problems, *number_problems]),
    )


def _message(message: StrOrPromise, key: str, **params: object) -> StrOrPromise:
    return format_lazy(message, column=_COLUMNS_BY_KEY[key].label, **params)


def _text_problems(key: str, text: str, hidden: re.Pattern[str]) -> list[StrOrPromise]:
    problems: list[StrOrPromise] = []
    limit = _COLUMNS_BY_KEY[key].max_length
    if limit is not None and len(text) > limit:
        problems.append(_message(TOO_LONG, key, length=f"{len(text):,}", limit=f"{limit:,}"))
    if hidden.search(text):
        problems.append(_message(HIDDEN_CHARACTERS, key))
    return problems


def _scripts(values: dict[str, str]) -> tuple[tuple[tuple[str, str], ...], list[StrOrPromise]]:
    scripts: list[tuple[str, str]] = []
    problems: list[StrOrPromise] = []
    for n in range(1, MAX_SCRIPTS + 1):
        scene = values.get(f"scene{n}", "")
        content = values.get(f"script{n}", "").replace("\r\n", "\n").replace("\r", "\n")
        if not scene and not content:
            continue
        if not content:
            problems.append(format_lazy(SCENE_WITHOUT_SCRIPT, n=n))
        elif not scene:
            problems.append(format_lazy(SCRIPT_WITHOUT_SCENE, n=n))
        problems += _text_problems(f"scene{n}", scene, _HIDDEN)
        problems += _text_problems(f"script{n}", content, _HIDDEN_IN_SCRIPT)
        scripts.append((scene, content))
    if not scripts:
        problems.append(NO_SCRIPT)
    return tuple(scripts), problems


def _numbers(cell: str) -> tuple[tuple[str, ...], list[StrOrPromise]]:
    text = cell.replace("\r\n", "\n").replace("\r", "\n")
    numbers = tuple(item.strip() for item in _NUMBER_SEPARATORS.split(text) if item.strip())
    problems: list[StrOrPromise] = []
    if _HIDDEN_IN_NUMBERS.search(text):
        problems.append(_message(HIDDEN_CHARACTERS, "numbers"))
    problems += [
        _message(SCIENTIFIC_NOTATION, "numbers", text=number)
        for number in numbers
        if SCIENTIFIC.fullmatch(number)
    ]
    return numbers, problems
