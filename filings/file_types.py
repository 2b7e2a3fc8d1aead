"""Name a file's real type from its leading bytes. Pure: no ORM, no network, no clock."""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What each answer of sniff_type is called in a message.
KIND_LABELS: dict[str, StrOrPromise] = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": _("a GIF image"),
    "webp": _("a WebP image"),
    "bmp": _("a BMP image"),
    "tiff": _("a TIFF image"),
    "heic": _("a HEIC/HEIF image"),
    "avif": _("an AVIF image"),
    "svg": _("an SVG drawing"),
    "html": _("an HTML page"),
    "xml": _("an XML document"),
    "pdf": _("a PDF document"),
    "docx": _("a Word document (DOCX, a ZIP archive)"),
    "xlsx": _("an Excel workbook (XLSX, a ZIP archive)"),
    "pptx": _("a PowerPoint presentation (PPTX, a ZIP archive)"),
    "zip": _("a ZIP archive"),
    "ole": _("an old-style Microsoft Office document (DOC/XLS/PPT)"),
    "exe": _("a Windows executable program"),
    "elf": _("an ELF executable program (Linux)"),
    "text": _("a plain text file"),
    "unknown": _("of an unknown type"),
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Markers of HTML (or PHP) in a file's first bytes.
MARKUP = (b"<html", b"<!doctype html", b"<script", b"<body", b"<head", b"<iframe", b"<?php")
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_BMP_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def sniff_type(data: bytes) -> str:
    """Name the real type of `data` from its leading bytes: a key of KIND_LABELS."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heic"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        for folder, kind in ((b"word/", "docx"), (b"xl/", "xlsx"), (b"ppt/", "pptx")):
            if folder in data:
                return kind
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if data.startswith(b"\x7fELF"):
        return "elf"
    if data.startswith(b"MZ"):
        return "exe"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"BM") and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "bmp"
    return _sniff_text(data[:4096])


def _sniff_text(head: bytes) -> str:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<"):
        if b"<svg" in text:
            return "svg"
        if any(marker in text for marker in MARKUP):
            return "html"
        if text.startswith(b"<?xml"):
            return "xml"
    try:
        # Incremental, because the head may end in the middle of a multi-byte character.
        decoded = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "unknown"
    if decoded and all(char.isprintable() or char in "\t\r\n" for char in decoded):
        return "text"
    return "unknown"
