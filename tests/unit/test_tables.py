"""Uploaded CSV and XLSX files as rows (filings.tables): what its two callers do not pin."""

from __future__ import annotations

import dataclasses

import pytest
from django.utils import translation

from filings.tables import Table, TableError, TableLimits, TableMessages, cell_text, read_table
from tests.unit.test_import_sheet import xlsx

MESSAGES = TableMessages(
    file_empty="empty",
    file_too_big="too big",
    unpacks_too_big="unpacks too big",
    too_many_elements="too many elements",
    zip_not_xlsx="zip",
    xlsx_unreadable="unreadable",
    no_worksheet="no worksheet",
    old_or_locked_excel="old",
    not_a_table="not a table: {kind}",
    not_text="not text",
    csv_unreadable="csv near {line}",
)
LIMITS = TableLimits(
    file_bytes=300_000,
    unpacked_bytes=100_000,
    elements=1_000,
    scanned_rows=10,
    filled_rows=3,
    columns=2,
)


def reason(data: bytes, *, controls_in_utf8: bool = False) -> str:
    with pytest.raises(TableError) as raised:
        read_table(data, LIMITS, MESSAGES, controls_in_utf8=controls_in_utf8)
    with translation.override("en"):
        return str(raised.value.reason)


def test_blank_rows_are_left_out_and_rows_keep_their_line_and_the_first_columns() -> None:
    expected = Table([(1, ("a", "b")), (3, ("c", ""))], truncated=False)
    assert read_table(b"a,b,x\n,,\nc,,y\n", LIMITS, MESSAGES) == expected
    assert read_table(xlsx(["a", "b", "x"], [], ["c", "", "y"]), LIMITS, MESSAGES) == Table(
        [(1, ("a", "b")), (3, ("c", None))], truncated=False
    )


def test_a_row_with_text_only_past_the_columns_read_is_blank() -> None:
    assert read_table(b"a\n,,x\n", LIMITS, MESSAGES).rows == [(1, ("a",))]


@pytest.mark.parametrize(
    ("text", "truncated"),
    [
        ("1\n2\n3\n", False),
        ("1\n2\n3\n4\n", True),  # a fourth filled row
        ("1\n" + "\n" * 9, False),  # blank rows up to the tenth line
        ("1\n" + "\n" * 10, True),  # an eleventh line, blank or not
    ],
)
def test_a_table_past_its_rows_is_truncated(text: str, truncated: bool) -> None:
    table = read_table(text.encode(), LIMITS, MESSAGES)
    assert table.truncated is truncated
    assert len(table.rows) <= LIMITS.filled_rows


def test_control_characters_in_utf8_are_text_only_when_the_caller_allows_them() -> None:
    data = "名称\x07,x\n".encode()
    assert reason(data) == "not text"
    assert read_table(data, LIMITS, MESSAGES, controls_in_utf8=True).rows == [
        (1, ("名称\x07", "x"))
    ]
    with_bom = b"\xef\xbb\xbf" + data
    assert read_table(with_bom, LIMITS, MESSAGES, controls_in_utf8=True).rows[0][1][0] == "名称\x07"


def test_a_nul_or_a_control_character_in_gb18030_is_never_text() -> None:
    assert reason("名称\x00".encode(), controls_in_utf8=True) == "not text"
    gb18030 = "名称\x07".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb18030.decode("utf-8")
    assert reason(gb18030, controls_in_utf8=True) == "not text"
    assert read_table("名称".encode("gb18030"), LIMITS, MESSAGES).rows == [(1, ("名称",))]


def test_messages_take_their_parameters() -> None:
    assert reason(b"%PDF-1.7\n") == "not a table: a PDF document"
    assert reason(b'a\n"' + b"x" * 200_000 + b'"\n') == "csv near 2"


def test_the_file_limits_come_from_the_caller() -> None:
    assert reason(b"") == "empty"
    assert reason(b"x" * (LIMITS.file_bytes + 1)) == "too big"
    tight = dataclasses.replace(LIMITS, elements=5)
    with pytest.raises(TableError) as raised:
        read_table(xlsx(["a"]), tight, MESSAGES)
    assert raised.value.reason == "too many elements"


def test_cell_text() -> None:
    assert [cell_text(v) for v in (None, 13812345678.0, 1.5, " a ", 7, True)] == [
        "",
        "13812345678",
        "1.5",
        "a",
        "7",
        "True",
    ]
