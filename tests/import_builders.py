"""Spreadsheets and ZIPs of documents for import tests, made at run time."""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from itertools import count

from filings.credit_code import credit_code_check_character, organization_code_check_character
from filings.imports.sheet import COLUMNS
from filings.models import Document
from tests.builders import KINDS
from tests.imagecorpus import jpeg_bytes

HEADERS = [column.header for column in COLUMNS]


def credit_codes(start: int = 1) -> Iterator[str]:
    """Valid GB 32100 codes (with the GB 11714 organisation-code check), one per number."""
    for number in count(start):
        body = f"{number:08d}"
        first17 = "91330100" + body + organization_code_check_character(body)
        yield first17 + credit_code_check_character(first17)


def row(code: str, n: int = 0, **overrides: str) -> dict[str, str]:
    """One company's cells by column key: name, code, both fields and two scripts."""
    cells = {
        "name": f"导入测试科技有限公司{n}",
        "credit_code": code,
        "callee_source": "网站",
        "business_carrier": f"导入测试科技有限公司{n}",
        "scene1": "快递",
        "script1": "您好，您的快递已到。",
        "scene2": "售后",
        "script2": "您好，这里是售后。",
        "numbers": "",
    }
    cells.update(overrides)
    return cells


def sheet_csv(rows: Iterable[dict[str, str]]) -> bytes:
    """A UTF-8 CSV (with BOM, as Excel saves it) of the template's columns."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for cells in rows:
        writer.writerow([cells.get(column.key, "") for column in COLUMNS])
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def document_files(
    code: str, seed: int = 0, *, sides: bool = False, width: int = 120, height: int = 80
) -> dict[str, bytes]:
    """The six documents of a company as ZIP entries; ID cards as front and back if `sides`.
    Images are about `width`×`height` pixels, each of a company's documents a different one."""
    files: dict[str, bytes] = {}
    for index, kind in enumerate(KINDS):
        image = jpeg_bytes(width=width + index, height=height + seed % 50)
        if sides and kind in Document.TWO_SIDED_KINDS:
            files[f"{code}/{kind}-front.jpg"] = image
            files[f"{code}/{kind}-back.jpg"] = jpeg_bytes(width=width + 1 + index, height=height)
        else:
            files[f"{code}/{kind}.jpg"] = image
    return files


def archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zip_file:
        for name, data in files.items():
            zip_file.writestr(name, data)
    return out.getvalue()


def stored_files(prefix: str) -> list[str]:
    """The keys of the objects stored under `prefix` (a folder of the default storage)."""
    from django.core.files.storage import default_storage

    def walk(folder: str) -> Iterator[str]:
        directories, files = default_storage.listdir(folder)
        yield from (f"{folder}/{name}" for name in files)
        for directory in directories:
            yield from walk(f"{folder}/{directory}")

    try:
        return sorted(walk(prefix))
    except FileNotFoundError:  # nothing was ever stored there
        return []
