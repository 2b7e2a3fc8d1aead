"""The companies spreadsheet of an import (filings.imports.sheet): pure, no database."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence

import openpyxl
import pytest
from django.utils.text import format_lazy
from django_stubs_ext import StrOrPromise

from filings.file_types import KIND_LABELS
from filings.imports import sheet as sh
from filings.imports.sheet import SheetError, read_sheet
from filings.imports.template import template_xlsx
from tests.imagecorpus import pdf_bytes

CODE = "91350100M000100Y43"
HEADER = ["企业名称", "统一社会信用代码", "被叫来源", "业务承载方", "场景1", "话术1", "号码"]
COMPANY = ["福州示例科技有限公司", CODE, "网站", "福州示例科技有限公司", "快递", "您好，快递到了。"]


def xlsx(*rows: Sequence[object]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(*rows: Sequence[str], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def text(message: StrOrPromise, **params: object) -> str:
    return str(format_lazy(message, **params)) if params else str(message)


def column_text(message: StrOrPromise, key: str, **params: object) -> str:
    label = next(column.label for column in sh.COLUMNS if column.key == key)
    return text(message, column=label, **params)


def refused(data: bytes) -> str:
    with pytest.raises(SheetError) as caught:
        read_sheet(data)
    return str(caught.value.reason)


def only_row(data: bytes) -> sh.SheetRow:
    (row,) = read_sheet(data)
    return row


# --- The template ---------------------------------------------------------------------------


def test_the_template_reads_back_without_problems() -> None:
    data = template_xlsx()
    (row,) = read_sheet(data)
    assert row.problems == ()
    assert (row.line, row.credit_code, row.numbers) == (2, CODE, ("13800138000", "0571-88886666"))
    assert len(row.scripts) == 2
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    companies, documents = workbook.worksheets
    assert [cell.value for cell in companies[1]] == [column.header for column in sh.COLUMNS]
    for position, column in enumerate(sh.COLUMNS):
        cell = companies.cell(row=2, column=position + 1)
        assert (cell.number_format == "@") is (column.key in {"credit_code", "numbers"})
    assert documents.title == "Documents"
    lines = [str(row[0]) for row in documents.iter_rows(values_only=True) if row[0]]
    assert "businessLicense.jpg" in lines
    assert "proprietorIdcard-back.jpg" in lines


def test_columns_name_a_header_a_meaning_and_whether_required() -> None:
    required = [column.key for column in sh.COLUMNS if column.required]
    assert required == [
        *("name", "credit_code", "callee_source", "business_carrier"),
        *("scene1", "script1"),
    ]
    assert len(sh.COLUMNS) == 4 + 2 * sh.MAX_SCRIPTS + 1
    # Every header text means one column only.
    texts = [
        text for c in sh.COLUMNS for text in {sh.header_key(t) for t in (c.header, *c.aliases)}
    ]
    assert len(texts) == len(set(texts))
    assert all(str(column.meaning) for column in sh.COLUMNS)


# --- Reading --------------------------------------------------------------------------------


def test_chinese_headers_in_any_order_with_unknown_columns() -> None:
    header = ["备注", "号码", *reversed(HEADER[:6])]
    row = [
        "note",
        "13800138000，13900139000；0571-88886666、\n 13700137000 ",
        *reversed(COMPANY),
    ]
    (company,) = read_sheet(xlsx(header, row))
    assert company == sh.SheetRow(
        line=2,
        name="福州示例科技有限公司",
        credit_code=CODE,
        callee_source="网站",
        business_carrier="福州示例科技有限公司",
        scripts=(("快递", "您好，快递到了。"),),
        numbers=("13800138000", "13900139000", "0571-88886666", "13700137000"),
        problems=(),
    )


def test_api_field_names_and_english_headers_are_taken() -> None:
    header = [
        "companyName",
        "company_credit_code",
        "CALLEE-SOURCE",
        "Business Carrier",
        "scriptScene",
        "script content",
        "Scene 2",
        "话术2",
        "aNumbers",
    ]
    row = [*COMPANY, "回访", "满意吗？", "13800138000"]
    company = only_row(csv_bytes(header, row))
    assert company.scripts == (("快递", "您好，快递到了。"), ("回访", "满意吗？"))
    assert company.numbers == ("13800138000",)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("utf-8", ";"), ("gb18030", "\t"), ("gb18030", ",")],
)
def test_csv_in_utf8_or_gb18030_with_any_delimiter(encoding: str, delimiter: str) -> None:
    data = csv_bytes(HEADER, [*COMPANY, "13800138000"], encoding=encoding, delimiter=delimiter)
    company = only_row(data)
    assert (company.name, company.numbers, company.problems) == (COMPANY[0], ("13800138000",), ())


def test_blank_rows_are_skipped_and_lines_are_the_sheets() -> None:
    rows = read_sheet(xlsx([], [None, "  "], HEADER, COMPANY, [], ["", ""], COMPANY))
    assert [row.line for row in rows] == [4, 7]


def test_xlsx_numbers_stored_as_numbers_become_digits() -> None:
    company = only_row(xlsx(HEADER, [*COMPANY, 13812345678.0]))
    assert company.numbers == ("13812345678",)
    assert company.problems == ()


def test_formula_looking_text_is_plain_text() -> None:
    company = only_row(csv_bytes(HEADER, ["=HYPERLINK(1)", *COMPANY[1:]]))
    assert (company.name, company.problems) == ("=HYPERLINK(1)", ())


def test_a_script_keeps_its_line_breaks_and_tabs() -> None:
    company = only_row(csv_bytes(HEADER, [*COMPANY[:5], "第一句\r\n第二句\t完"]))
    assert company.scripts == (("快递", "第一句\n第二句\t完"),)
    assert company.problems == ()


# --- Row problems ---------------------------------------------------------------------------


def test_a_missing_name_and_code() -> None:
    company = only_row(csv_bytes(HEADER, ["", " ", *COMPANY[2:]]))
    assert company.problems == (text(sh.NAME_MISSING), text(sh.CREDIT_CODE_MISSING))


def test_scenes_and_scripts_must_come_in_pairs() -> None:
    header = [*HEADER[:6], "场景2", "话术2", "场景3", "话术3"]
    company = only_row(csv_bytes(header, [*COMPANY[:4], "快递", "", "", "话术", "", ""]))
    assert company.problems == (
        text(sh.SCENE_WITHOUT_SCRIPT, n=1),
        text(sh.SCRIPT_WITHOUT_SCENE, n=2),
    )
    assert company.scripts == (("快递", ""), ("", "话术"))


def test_a_company_needs_a_script() -> None:
    company = only_row(csv_bytes(HEADER, [*COMPANY[:4], "", ""]))
    assert (company.scripts, company.problems) == ((), (text(sh.NO_SCRIPT),))


@pytest.mark.parametrize(
    ("position", "key", "limit"),
    [
        (0, "name", 200),
        (2, "callee_source", 500),
        (3, "business_carrier", 200),
        (4, "scene1", 100),
        (5, "script1", 2000),
    ],
)
def test_values_longer_than_the_fields_hold(position: int, key: str, limit: int) -> None:
    row = list(COMPANY)
    row[position] = "长" * (limit + 1)
    company = only_row(csv_bytes(HEADER, row))
    assert company.problems == (
        column_text(sh.TOO_LONG, key, length=f"{limit + 1:,}", limit=f"{limit:,}"),
    )


def test_exactly_the_longest_values_are_fine() -> None:
    row = ["名" * 200, CODE, "源" * 500, "载" * 200, "景" * 100, "话" * 2000]
    assert only_row(csv_bytes(HEADER, row)).problems == ()


@pytest.mark.parametrize(
    ("position", "key", "value"),
    [
        (0, "name", "福州\u200b示例"),
        (1, "credit_code", f"{CODE}\x07"),
        (2, "callee_source", "网站\n公众号"),
        (4, "scene1", "快\t递"),
        (5, "script1", "您好\x1b[31m"),
        (6, "numbers", "13800138000\u2060"),
    ],
)
def test_hidden_characters_are_a_problem(position: int, key: str, value: str) -> None:
    row = [*COMPANY, ""]
    row[position] = value
    company = only_row(csv_bytes(HEADER, row))
    assert company.problems == (column_text(sh.HIDDEN_CHARACTERS, key),)


def test_numbers_in_scientific_notation_are_a_problem() -> None:
    company = only_row(csv_bytes(HEADER, [*COMPANY, "1.38E+10\n13800138000"]))
    assert company.numbers == ("1.38E+10", "13800138000")
    assert company.problems == (column_text(sh.SCIENTIFIC_NOTATION, "numbers", text="1.38E+10"),)


def test_a_credit_code_in_scientific_notation_is_a_problem() -> None:
    company = only_row(csv_bytes(HEADER, [COMPANY[0], "9.13501E+17", *COMPANY[2:]]))
    assert company.problems == (
        column_text(sh.SCIENTIFIC_NOTATION, "credit_code", text="9.13501E+17"),
    )


def test_a_credit_code_stored_as_a_number_is_a_problem() -> None:
    company = only_row(xlsx(HEADER, [COMPANY[0], 913501001234567890, *COMPANY[2:]]))
    assert company.problems == (text(sh.CREDIT_CODE_AS_NUMBER),)


# --- Whole-file refusals --------------------------------------------------------------------


def test_missing_required_columns_are_all_named() -> None:
    reason = refused(csv_bytes(["企业名称", "号码", "场景1"], ["a", "1", "b"]))
    missing = [c.header for c in sh.COLUMNS if c.key in {"credit_code", "callee_source"}]
    missing += [c.header for c in sh.COLUMNS if c.key in {"business_carrier", "script1"}]
    assert reason == text(sh.MISSING_COLUMNS, columns=", ".join(f"“{m}”" for m in missing))


def test_a_column_named_twice_is_refused() -> None:
    reason = refused(csv_bytes([*HEADER, "Company Name"], COMPANY))
    label = sh.COLUMNS[0].label
    assert reason == text(
        sh.DUPLICATE_COLUMN, column=label, first="“企业名称”", second="“Company Name”"
    )


def test_an_empty_file_and_a_blank_sheet() -> None:
    assert refused(b"") == text(sh.FILE_EMPTY)
    assert refused(b"\n , ,\n\n") == text(sh.NO_HEADER)


def test_a_header_without_companies() -> None:
    assert refused(xlsx(HEADER, [None])) == text(sh.NO_COMPANIES)


def test_more_companies_than_allowed() -> None:
    rows = [HEADER] + [COMPANY] * (sh.MAX_ROWS + 1)
    assert refused(csv_bytes(*rows)) == text(sh.TOO_MANY_ROWS, max_rows="1,000")
    assert len(read_sheet(csv_bytes(*rows[:-1]))) == sh.MAX_ROWS


def test_a_company_past_the_scanned_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sh, "MAX_SCANNED_ROWS", 10)
    rows = [HEADER, COMPANY] + [[""]] * 9 + [COMPANY]
    assert len(read_sheet(xlsx(*rows[:-2]))) == 1
    assert refused(xlsx(*rows)) == text(sh.TOO_MANY_ROWS, max_rows="1,000")


def test_a_file_over_the_size_limit() -> None:
    assert refused(b"x" * (sh.MAX_FILE_BYTES + 1)) == text(sh.FILE_TOO_BIG)


def test_a_workbook_that_unpacks_too_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sh, "MAX_UNPACKED_BYTES", 4000)
    assert refused(xlsx(HEADER, COMPANY)) == text(sh.UNPACKS_TOO_BIG)


def test_a_workbook_with_too_many_elements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sh, "MAX_ELEMENTS", 50)
    assert refused(xlsx(HEADER, COMPANY)) == text(sh.TOO_MANY_ELEMENTS)


def test_other_files_are_named() -> None:
    assert refused(pdf_bytes()) == text(sh.NOT_A_SHEET, kind=KIND_LABELS["pdf"])
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)
    assert refused(ole) == text(sh.OLD_OR_LOCKED_EXCEL)
    assert refused("企业名称\x00".encode()) == text(sh.NOT_TEXT)
    assert refused(b"\xff\xfe" + "企业名称".encode("utf-16-le")) == text(sh.NOT_TEXT)


def test_a_zip_that_is_no_workbook_and_a_damaged_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("91350100M000100Y43/businessLicense.jpg", b"\xff\xd8\xff")
    assert refused(buffer.getvalue()) == text(sh.ZIP_NOT_XLSX)
    data = xlsx(HEADER, COMPANY)
    assert refused(data[: len(data) // 2]) == text(sh.XLSX_UNREADABLE)


def test_a_csv_field_beyond_what_csv_reads() -> None:
    data = csv_bytes(HEADER) + b'"' + b"x" * 200_000 + b'"\n'
    assert refused(data) == text(sh.CSV_UNREADABLE, line=2)
