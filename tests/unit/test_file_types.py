"""Naming a file's real type from its bytes (filings.file_types): pure, no database."""

import pytest

from filings.file_types import KIND_LABELS, sniff_type
from tests import imagecorpus as corpus


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (corpus.jpeg_bytes(), "jpeg"),
        (corpus.png_bytes(), "png"),
        (corpus.gif_bytes(), "gif"),
        (corpus.webp_bytes(), "webp"),
        (corpus.bmp_bytes(), "bmp"),
        (corpus.tiff_bytes(), "tiff"),
        (corpus.heic_bytes(), "heic"),
        (corpus.svg_bytes(), "svg"),
        (b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
        (corpus.html_bytes(), "html"),
        (b"<p>hi</p><script>x()</script>", "html"),
        (b'<?xml version="1.0"?><note/>', "xml"),
        (corpus.pdf_bytes(), "pdf"),
        (b"junk before\n%PDF-1.7\n", "pdf"),
        (corpus.zip_bytes(), "zip"),
        (corpus.docx_bytes(), "docx"),
        (corpus.zip_bytes({"xl/workbook.xml": b"<x/>"}), "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "ole"),
        (corpus.elf_bytes(), "elf"),
        (corpus.pe_bytes(), "exe"),
        (corpus.text_bytes(), "text"),
        (b"BMW annual report", "text"),
        (bytes(range(256)), "unknown"),
    ],
)
def test_sniff_type_names_the_real_type(data: bytes, kind: str) -> None:
    assert sniff_type(data) == kind
    assert kind in KIND_LABELS
