"""The downloadable companies template (XLSX) for an import. Pure: no ORM, no I/O."""

from __future__ import annotations

import io

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from filings.imports.archive import ZIP_CONVENTION, document_file_names
from filings.imports.sheet import COLUMNS

# The template's example company (a valid, made-up credit code).
_EXAMPLE = {
    "name": "福州示例信息科技有限公司",
    "credit_code": "91350100M000100Y43",
    "callee_source": "网站",
    "business_carrier": "福州示例信息科技有限公司",
    "scene1": "快递",
    "script1": "您好，这里是福州示例信息科技，您的快递已到达驿站，请凭取件码取件。",
    "scene2": "售后回访",
    "script2": "您好，我们想了解您对本次服务是否满意，占用您一分钟时间可以吗？",
    "numbers": "13800138000\n0571-88886666",
}
_TEXT_COLUMNS = frozenset({"credit_code", "numbers"})
_WIDTHS = {"name": 34, "credit_code": 24, "business_carrier": 30, "script": 40}


def template_xlsx() -> bytes:
    """The downloadable template: the header row with one example company, and a sheet
    "Documents" on how to name the images in the ZIP of documents."""
    workbook = openpyxl.Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "Companies"
    sheet.append([column.header for column in COLUMNS])
    sheet.append([_EXAMPLE.get(column.key, "") for column in COLUMNS])
    sheet.freeze_panes = "A2"
    for position, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(position)
        sheet[f"{letter}1"].font = Font(bold=True)
        cell = sheet[f"{letter}2"]
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = _WIDTHS.get(column.key.rstrip("12345"), 18)
        if column.key in _TEXT_COLUMNS:
            # Text, so Excel keeps the digits of codes and numbers typed into the column.
            sheet.column_dimensions[letter].number_format = "@"
            cell.number_format = "@"
    documents = workbook.create_sheet("Documents")
    for line in ZIP_CONVENTION:
        documents.append([line])
    documents.append([])
    documents.append(["File name 文件名", "Document 证件"])
    for file_name, label in document_file_names():
        documents.append([file_name, str(label)])
    documents.column_dimensions["A"].width = 44
    documents.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
