"""Uploaded CSV and XLSX lists of numbers (filings.number_files): pure, no database."""

from __future__ import annotations

import csv
import io
import random
import time
import zipfile
from collections.abc import Sequence

import openpyxl
import pytest
from django.utils import translation

from filings import number_files as nf
from filings import phone_numbers as pn


def xlsx(*rows: Sequence[object], extra_sheet: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    if extra_sheet:
        workbook.create_sheet("other").append(["13700000000"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def many_rows_xlsx(count: int, *, header: bool) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    if header:
        sheet.append(["手机号"])
    for n in range(count):
        sheet.append([13800000000 + n])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def rezip(data: bytes, change: dict[str, bytes]) -> bytes:
    """`data` (a ZIP) with the named entries replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            if entry.filename not in change:
                target.writestr(entry, source.read(entry))
        for name, content in change.items():
            target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def refusal(data: bytes) -> nf.NumberFileError:
    with pytest.raises(nf.NumberFileError) as raised:
        nf.read_items(data)
    assert isinstance(raised.value, ValueError)
    return raised.value


def rendered(reason: object) -> str:
    with translation.override("en"):
        return str(reason)


# --- XLSX ----------------------------------------------------------------------------------------


def test_xlsx_first_column_with_header_numeric_cells_and_gaps() -> None:
    data = xlsx(
        ["电话", "姓名"],
        [13812345678, "张三"],
        [13912345678.0, "李四"],
        ["0571-8888 6666"],
        [None, "a name without a number"],
        [],
        [57188886666],
        [" +86 137 1234 5678 "],
        extra_sheet=True,
    )
    assert data.startswith(nf.ZIP_SIGNATURE)
    assert nf.read_items(data) == [
        (2, "13812345678"),
        (3, "13912345678"),
        (4, "0571-8888 6666"),
        (7, "57188886666"),
        (8, "+86 137 1234 5678"),
    ]


def test_xlsx_without_header_keeps_the_first_row() -> None:
    assert nf.read_items(xlsx([13812345678], ["13912345678"])) == [
        (1, "13812345678"),
        (2, "13912345678"),
    ]


def test_only_the_first_text_without_digits_is_a_header() -> None:
    data = xlsx([], ["Phone"], ["13812345678"], ["Mobile"])
    assert nf.read_items(data) == [(3, "13812345678"), (4, "Mobile")]


def test_a_header_with_digits_is_read_as_an_item() -> None:
    assert nf.read_items(xlsx(["号码1"], [13812345678])) == [(1, "号码1"), (2, "13812345678")]


def test_xlsx_other_cell_values_become_text() -> None:
    data = xlsx([13812345678.5], [True], ["=A1"])
    items = [text for _row, text in nf.read_items(data)]
    # A formula has no stored value until a spreadsheet program computes it: its cell is empty.
    assert items == ["13812345678.5", "True"]


def test_parse_file_gives_the_report_with_row_numbers() -> None:
    data = xlsx(["号码"], [13812345678], ["4008108888"], ["138-1234-5678"], [57188886666])
    report = nf.parse_file(data)
    assert report.accepted == ("13812345678", "057188886666")
    assert [(e.line, e.text, rendered(e.reason)) for e in report.refused] == [
        (3, "4008108888", "a 400/800 service number cannot place calls"),
        (4, "138-1234-5678", "duplicate of line 2"),
    ]


def test_an_empty_sheet_gives_no_items() -> None:
    assert nf.read_items(xlsx()) == []
    assert nf.parse_file(xlsx(["phone"])) == pn.NumberReport()


def test_xlsx_with_a_header_and_max_items_numbers_is_read() -> None:
    items = nf.read_items(many_rows_xlsx(pn.MAX_ITEMS, header=True))
    assert len(items) == pn.MAX_ITEMS
    assert items[-1] == (pn.MAX_ITEMS + 1, str(13800000000 + pn.MAX_ITEMS - 1))


@pytest.mark.parametrize("header", [True, False])
def test_xlsx_with_more_than_max_items_numbers_is_refused(header: bool) -> None:
    error = refusal(many_rows_xlsx(pn.MAX_ITEMS + 1, header=header))
    assert rendered(error.reason) == (
        "The file has more than 10,000 rows. Split it into files of at most 10,000 numbers and "
        "upload them one after the other."
    )


def _sheet_xml(rows: str, dimension: str = "A1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def _number_row(row: int, number: int) -> str:
    return f'<row r="{row}"><c r="A{row}"><v>{number}</v></c></row>'


def test_a_lying_dimension_does_not_hide_rows() -> None:
    rows = "".join(_number_row(r, 13800000000 + r) for r in range(1, 6))
    data = rezip(xlsx(["x"]), {"xl/worksheets/sheet1.xml": _sheet_xml(rows, "A1:A2")})
    assert [row for row, _text in nf.read_items(data)] == [1, 2, 3, 4, 5]


def test_a_number_far_down_the_sheet_is_refused_quickly() -> None:
    rows = _number_row(1, 13800000001) + _number_row(1_000_000, 13800000002)
    data = rezip(xlsx(["x"]), {"xl/worksheets/sheet1.xml": _sheet_xml(rows, "A1:A1000000")})
    started = time.perf_counter()
    error = refusal(data)
    assert time.perf_counter() - started < 2
    assert "more than 10,000 rows" in rendered(error.reason)


def test_empty_rows_past_the_limit_are_allowed_up_to_the_scan_cap() -> None:
    rows = _number_row(1, 13800000001) + '<row r="50000"/>'
    data = rezip(xlsx(["x"]), {"xl/worksheets/sheet1.xml": _sheet_xml(rows)})
    assert nf.read_items(data) == [(1, "13800000001")]
    rows = _number_row(1, 13800000001) + f'<row r="{nf.MAX_SCANNED_ROWS + 1}"/>'
    data = rezip(xlsx(["x"]), {"xl/worksheets/sheet1.xml": _sheet_xml(rows)})
    assert "more than 10,000 rows" in rendered(refusal(data).reason)


def test_xlsx_unpacking_to_more_than_20_mb_is_refused() -> None:
    bomb = rezip(xlsx([13812345678]), {"xl/media/padding.bin": bytes(nf.MAX_UNCOMPRESSED_BYTES)})
    assert len(bomb) < nf.MAX_FILE_BYTES
    assert refusal(bomb).reason is nf.UNPACKS_TOO_BIG


def test_a_workbook_of_max_items_numbers_with_two_text_columns_is_read() -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["手机号", "姓名", "备注"])
    for n in range(pn.MAX_ITEMS):
        sheet.append([13800000000 + n, f"客户{n}", f"第{n}号"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(nf.read_items(buffer.getvalue())) == pn.MAX_ITEMS


@pytest.mark.parametrize("cell", ['<c r="B{r}"><v>1</v></c>', '<x:c r="B{r}"><x:v>1</x:v></x:c>'])
def test_a_workbook_with_too_many_elements_is_refused_before_it_is_parsed(cell: str) -> None:
    per_row = 10
    row_count = nf.MAX_ELEMENTS // (2 * per_row) + 1
    rows = "".join(
        f'<row r="{r}">' + cell.format(r=r) * per_row + "</row>" for r in range(1, row_count + 1)
    )
    data = rezip(xlsx(["x"]), {"xl/worksheets/sheet1.xml": _sheet_xml(rows)})
    started = time.perf_counter()
    assert refusal(data).reason is nf.TOO_MANY_ELEMENTS
    assert time.perf_counter() - started < 1


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    assert refusal(zip_of({"numbers.txt": b"13812345678"})).reason is nf.ZIP_NOT_XLSX
    docx = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    assert refusal(docx).reason is nf.ZIP_NOT_XLSX


def test_a_truncated_workbook_is_refused() -> None:
    data = xlsx([13812345678])
    assert refusal(data[: len(data) // 2]).reason is nf.XLSX_UNREADABLE


def test_a_workbook_with_broken_parts_is_refused() -> None:
    parts = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml"}
    assert refusal(zip_of(parts)).reason is nf.XLSX_UNREADABLE
    broken_sheet = rezip(xlsx([13812345678]), {"xl/worksheets/sheet1.xml": b"<worksheet><sheetD"})
    assert refusal(broken_sheet).reason is nf.XLSX_UNREADABLE


def test_a_workbook_without_a_worksheet_is_refused() -> None:
    data = xlsx([13812345678])
    workbook_xml = (
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheets/></workbook>"
    )
    assert refusal(rezip(data, {"xl/workbook.xml": workbook_xml})).reason is nf.NO_WORKSHEET


def test_an_entity_expansion_bomb_is_refused() -> None:
    entities = '<!ENTITY a0 "1234567890">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    started = time.perf_counter()
    error = refusal(rezip(xlsx(["x"]), {"xl/worksheets/sheet1.xml": sheet}))
    assert error.reason is nf.XLSX_UNREADABLE
    assert time.perf_counter() - started < 2


def test_damaged_workbooks_never_raise_anything_but_number_file_error() -> None:
    data = xlsx(["号码"], *[[13800000000 + n] for n in range(50)])
    rng = random.Random(3)
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rng.randrange(1, 8)):
            damaged[rng.randrange(4, len(damaged))] = rng.randrange(256)
        try:
            items = nf.read_items(bytes(damaged))
        except nf.NumberFileError:
            continue
        assert all(isinstance(text, str) and row >= 1 for row, text in items)


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_utf8_first_column_with_header() -> None:
    data = csv_bytes([["手机号", "姓名"], ["13812345678", "张三"], [], ["0571-8888 6666", "李四"]])
    assert nf.read_items(data) == [(2, "13812345678"), (4, "0571-8888 6666")]


def test_csv_with_bom() -> None:
    data = nf.UTF8_BOM + csv_bytes([["号码"], ["13812345678"]])
    assert nf.read_items(data) == [(2, "13812345678")]


def test_csv_in_gb18030_as_chinese_excel_saves_it() -> None:
    data = csv_bytes([["电话号码", "备注"], ["１３８１２３４５６７８", "总部，前台"]], "gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert nf.read_items(data) == [(2, "１３８１２３４５６７８")]


def test_csv_quoted_fields_and_crlf() -> None:
    data = b'"phone","note"\r\n"138 1234 5678","a, b"\r\n"+86 139-1234-5678","line\r\nbreak"\r\n'
    assert nf.read_items(data) == [(2, "138 1234 5678"), (3, "+86 139-1234-5678")]


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_tab_and_semicolon_separated_exports(delimiter: str) -> None:
    data = csv_bytes([["phone", "name"], ["13812345678", "张三"]], delimiter=delimiter)
    assert nf.read_items(data) == [(2, "13812345678")]


def test_a_single_column_csv_keeps_spaces_inside_numbers() -> None:
    assert nf.read_items(b"0571 8888 6666\n138 1234 5678\n") == [
        (1, "0571 8888 6666"),
        (2, "138 1234 5678"),
    ]


def test_a_csv_of_max_items_numbers_with_a_header_is_read() -> None:
    lines = ["phone"] + [str(13800000000 + n) for n in range(pn.MAX_ITEMS)]
    assert len(nf.read_items("\n".join(lines).encode())) == pn.MAX_ITEMS


def test_a_csv_of_more_than_max_items_numbers_is_refused() -> None:
    lines = [str(13800000000 + n) for n in range(pn.MAX_ITEMS + 1)]
    assert "more than 10,000 rows" in rendered(refusal("\n".join(lines).encode()).reason)


def test_scientific_notation_from_excel_is_refused_with_its_row() -> None:
    error = refusal(b"phone\n13812345678\n1.38123E+10\n")
    assert rendered(error.reason).startswith(
        "Row 3 of the file holds 1.38123E+10: the number was saved in scientific notation"
    )


def test_the_type_is_told_by_content_not_by_name() -> None:
    # read_items takes no name at all; a workbook is a workbook whatever it was called.
    assert nf.read_items(xlsx([13812345678])) == [(1, "13812345678")]
    assert nf.read_items(b"13812345678") == [(1, "13812345678")]


# --- hostile files -------------------------------------------------------------------------------


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"").reason is nf.FILE_EMPTY


def test_a_file_of_exactly_2_mb_is_read_and_one_byte_more_is_refused() -> None:
    rows = b"".join(b"%d,%s\n" % (13800000000 + n, b"x" * 1000) for n in range(2000))
    exactly = rows + b"13900000000," + b"y" * (nf.MAX_FILE_BYTES - len(rows) - 12)
    assert len(exactly) == 2 * 1024 * 1024
    items = nf.read_items(exactly)
    assert len(items) == 2001
    assert items[-1] == (2001, "13900000000")
    assert refusal(exactly + b" ").reason is nf.FILE_TOO_BIG


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"%PDF-1.7\n1 0 obj <<>> endobj", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "JPEG"),
        (b"MZ\x90\x00" + bytes(64), "a Windows executable program"),
        (b"\x7fELF\x02\x01\x01" + bytes(64), "an ELF executable program (Linux)"),
        (b"<html><body>13812345678</body></html>", "an HTML page"),
        (b"PK\x05\x06" + bytes(18), "a ZIP archive"),
    ],
)
def test_other_kinds_of_file_are_named(data: bytes, label: str) -> None:
    assert rendered(refusal(data).reason) == (
        f"The file is {label}, not a list of numbers. Upload an XLSX or CSV file with one number "
        "a row in the first column."
    )


def test_an_old_excel_or_password_protected_workbook_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    assert refusal(ole).reason is nf.OLD_OR_LOCKED_EXCEL


@pytest.mark.parametrize(
    "data",
    [
        random.Random(5).randbytes(4096),
        random.Random(6).randbytes(nf.MAX_FILE_BYTES),
        b"13812345678\n\x00\x01\x02\n",
        "13812345678\n".encode("utf-16"),
        b"\xef\xbb\xbf13812345678\n\xff\xfe\n",
        b"13812345678\n\x81\x30\x81",  # a GB18030 sequence cut short
    ],
)
def test_binary_garbage_is_refused(data: bytes) -> None:
    started = time.perf_counter()
    assert refusal(data).reason is nf.NOT_TEXT
    assert time.perf_counter() - started < 2


def test_an_unterminated_quote_is_refused() -> None:
    error = refusal(b'phone\n"13812345678' + b"1" * 200_000)
    assert rendered(error.reason).startswith("The file cannot be read as CSV (near line ")


def test_reasons_render_in_english_and_chinese_without_error() -> None:
    for reason in (
        nf.FILE_EMPTY,
        nf.FILE_TOO_BIG,
        nf.UNPACKS_TOO_BIG,
        nf.TOO_MANY_ELEMENTS,
        nf.ZIP_NOT_XLSX,
        nf.XLSX_UNREADABLE,
        nf.NO_WORKSHEET,
        nf.OLD_OR_LOCKED_EXCEL,
        nf.NOT_TEXT,
    ):
        assert rendered(reason)
        with translation.override("zh-hans"):
            assert str(reason)
