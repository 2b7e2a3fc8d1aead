"""The ZIP of document images of an import. Pure: a file in, entries out; no ORM, no storage."""

from __future__ import annotations

import re
import stat
import struct
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from filings.file_types import KIND_LABELS, sniff_type
from filings.models import Document

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024
MAX_ENTRIES = 20_000
MAX_TOTAL_UNPACKED = 4 * 1024**3
# Unpacked/packed above this, for an entry over RATIO_MIN_BYTES unpacked, is a ZIP bomb: JPEG
# and PNG are compressed already and pack to nearly their own size.
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024 * 1024
# Central-directory bytes one entry may take (46 fixed, a name, extra fields and a comment):
# a larger directory is not read, since zipfile holds all of it in memory.
CENTRAL_RECORD_BOUND = 4096
PATH_DISPLAY_CHARS = 200
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png")
NESTED_ARCHIVE_EXTENSIONS = frozenset({"zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz"})
# Left out without a word: what macOS, Windows and Explorer add to an archive of their own.
NOISE_FOLDERS = frozenset({"__macosx"})
NOISE_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
SIDES = (Document.Part.FRONT.value, Document.Part.BACK.value)

# How the ZIP is laid out, for the template's "Documents" sheet and the import page.
ZIP_CONVENTION = (
    "How to pack the document images 证件图片的打包方式",
    "1. One folder a company, named after its unified social credit code. "
    "每家企业一个文件夹，以统一社会信用代码命名。",
    "2. In it, one image a document, named after the document (see the table below), as .jpg, "
    ".jpeg or .png. 文件夹里每种证件一张图片，按下表命名。",
    "3. ID cards may be one image, or two: <name>-front.jpg and <name>-back.jpg. "
    "身份证可以是一张图片，也可以正反面各一张。",
    "4. Zip the folders into one ZIP file; they may sit inside one common folder. "
    "把这些文件夹打包成一个 ZIP 文件。",
    "Example 示例: 91350100M000100Y43/businessLicense.jpg, "
    "91350100M000100Y43/proprietorIdcard-front.jpg, 91350100M000100Y43/proprietorIdcard-back.jpg",
)

ARCHIVE_EMPTY = _("The file is empty. Upload a ZIP archive of the companies' document images.")
ARCHIVE_TOO_BIG = _(
    "The archive is larger than {limit}. Split the companies over several archives and upload "
    "them one after the other."
)
NOT_A_ZIP = _(
    "The file is {kind}, not a ZIP archive. Put each company's document images in a folder named "
    "after its credit code, zip the folders and upload the ZIP file."
)
ARCHIVE_DAMAGED = _(
    "The ZIP archive is damaged or incomplete and cannot be read. Create it again from the "
    "folders and upload the new file."
)
ARCHIVE_ENCRYPTED = _(
    "The ZIP archive is protected by a password. Remove the password (zip the folders again "
    "without one) and upload the new file."
)
TOO_MANY_ENTRIES = _(
    "The archive holds more than {max_entries} files. Split the companies over several archives "
    "and upload them one after the other."
)
UNPACKS_TOO_BIG = _(
    "The archive unpacks to more than {limit}. Split the companies over several archives and "
    "upload them one after the other."
)
NO_FILES = _(
    "The archive holds no files. Put each company's document images in a folder named after its "
    "credit code and zip the folders."
)
ENTRY_DAMAGED = _(
    "“{path}” in the archive is damaged and cannot be unpacked. Create the archive again from "
    "the folders and upload the new file."
)

UNSAFE_PATH = _(
    "The path is not allowed: it is absolute, climbs out with “..”, or uses backslashes or a "
    "drive letter. Zip the folders again with an ordinary ZIP tool."
)
HIDDEN_CHARACTERS = _(
    "The name contains hidden control characters. Rename the file after the document it shows "
    "and zip the folders again."
)
SYMLINK = _("The entry is a link, not an image. Put the image itself into the folder.")
NESTED_ARCHIVE = _(
    "The entry is an archive inside the archive. Unpack it and put its images into the companies' "
    "folders of this archive."
)
ENTRY_TOO_BIG = _(
    "The image is larger than {limit}, the upload limit. Scan or photograph the document at a "
    "lower resolution, or save it as JPEG."
)
COMPRESSION_BOMB = _(
    "The entry unpacks to more than {ratio} times its packed size, which no image does. Replace it "
    "with the original image."
)
COMPRESSION_UNSUPPORTED = _(
    "The entry is packed with a method that cannot be unpacked here. Zip the folders again with "
    "the ordinary ZIP (Deflate) method."
)
NOT_IN_FOLDER = _(
    "The image is not in a company's folder. Put it in a folder named after the company's credit "
    "code, for example 91350100M000100Y43/businessLicense.jpg."
)
TOO_DEEP = _(
    "The image sits in too many folders. Put the images directly in each company's folder, for "
    "example 91350100M000100Y43/businessLicense.jpg."
)
WRONG_EXTENSION = _(
    "Only JPEG and PNG images are taken. Save the document as JPEG or PNG, named with .jpg, .jpeg "
    "or .png."
)
UNKNOWN_KIND = _(
    "“{name}” is not the name of a document. Name each image after the document it shows: "
    "{accepted} (each with .jpg, .jpeg or .png)."
)
DUPLICATE = _(
    "The company's folder holds more than one image of this document: also {others}. Keep one (for "
    "an ID card either one image, or a -front and a -back image) and zip the folders again."
)
LONE_SIDE = _(
    "The other side of this ID card is missing: add {missing}, or put both sides in one image "
    "named {kind}.jpg."
)

_TWO_SIDED = frozenset(str(kind) for kind in Document.TWO_SIDED_KINDS)
_KINDS_BY_NAME = {str(kind).casefold(): str(kind) for kind in Document.Kind.values}
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_OFFICE_FOLDERS = ("word/", "xl/", "ppt/")
_SUPPORTED_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1


def document_file_names() -> list[tuple[str, StrOrPromise]]:
    """Each accepted file name (with .jpg) and the document it names, in Document.Kind's order."""
    names: list[tuple[str, StrOrPromise]] = []
    for kind, label in Document.Kind.choices:
        names.append((f"{kind}.jpg", label))
        if kind in _TWO_SIDED:
            names += [(f"{kind}-{side}.jpg", label) for side in SIDES]
    return names


@dataclass(frozen=True)
class ArchiveEntry:
    path: str  # the entry's name as shown to people (control characters replaced, shortened)
    credit_code: str  # its folder's name, stripped and upper-cased; the caller validates it
    kind: str  # a Document.Kind value
    part: str  # a Document.Part value
    size: int  # declared unpacked size


@dataclass(frozen=True)
class ArchiveProblem:
    path: str
    reason: str


class ArchiveError(ValueError):
    """An archive refused as a whole; `reason` says what to do instead."""

    def __init__(self, reason: StrOrPromise) -> None:
        super().__init__(reason)
        self.reason = reason


def _error(message: StrOrPromise, **params: object) -> ArchiveError:
    return ArchiveError(format_lazy(message, **params) if params else message)


def _megabytes(size: int) -> str:
    if size >= 1024**3:
        return f"{size / 1024**3:g} GB"
    return f"{size / 1024**2:g} MB"


@dataclass
class _Candidate:
    info: zipfile.ZipInfo
    path: str  # decoded name
    display: str
    parts: list[str]


class DocumentArchive:
    """The usable entries of a ZIP of document images, and why each other entry is refused.

    Only the central directory is read when opening; `read` unpacks one entry, bounded.
    """

    def __init__(
        self,
        fileobj: IO[bytes],
        *,
        max_entry_bytes: int,
        max_archive_bytes: int = MAX_ARCHIVE_BYTES,
        max_entries: int = MAX_ENTRIES,
        max_total_unpacked: int = MAX_TOTAL_UNPACKED,
        max_ratio: int = MAX_RATIO,
    ) -> None:
        self.max_entry_bytes = max_entry_bytes
        self.max_ratio = max_ratio
        self.entries: list[ArchiveEntry] = []
        self.problems: list[ArchiveProblem] = []
        self._infos: dict[ArchiveEntry, zipfile.ZipInfo] = {}
        size = fileobj.seek(0, 2)
        if size == 0:
            raise _error(ARCHIVE_EMPTY)
        if size > max_archive_bytes:
            raise _error(ARCHIVE_TOO_BIG, limit=_megabytes(max_archive_bytes))
        fileobj.seek(0)
        head = fileobj.read(4096)
        if not head.startswith(_ZIP_SIGNATURES):
            raise _error(NOT_A_ZIP, kind=KIND_LABELS[sniff_type(head)])
        _check_directory_size(fileobj, size, max_entries)
        try:
            self._zip = zipfile.ZipFile(fileobj)
        except Exception as error:  # zipfile raises several exception types for a damaged archive
            raise _error(ARCHIVE_DAMAGED) from error
        try:
            self._check_whole(max_entries, max_total_unpacked)
            self._sort_entries()
        except BaseException:
            self._zip.close()
            raise

    def _check_whole(self, max_entries: int, max_total_unpacked: int) -> None:
        infos = self._zip.infolist()
        if len(infos) > max_entries:
            raise _error(TOO_MANY_ENTRIES, max_entries=f"{max_entries:,}")
        if any(info.flag_bits & _ENCRYPTED_FLAG for info in infos):
            raise _error(ARCHIVE_ENCRYPTED)
        if sum(info.file_size for info in infos) > max_total_unpacked:
            raise _error(UNPACKS_TOO_BIG, limit=_megabytes(max_total_unpacked))
        names = {info.filename for info in infos}
        if "[Content_Types].xml" in names and any(
            name.startswith(_OFFICE_FOLDERS) for name in names
        ):
            raise _error(NOT_A_ZIP, kind=KIND_LABELS[_office_kind(names)])

    def _sort_entries(self) -> None:
        candidates: list[_Candidate] = []
        for info in self._zip.infolist():
            path = _decoded_name(info)
            if _is_noise(info, path):
                continue
            candidate = _Candidate(info, path, _display(path), path.split("/"))
            reason = self._unsafe_reason(candidate)
            if reason is not None:
                self._refuse(candidate, reason)
            else:
                candidates.append(candidate)
        if not candidates and not self.problems:
            raise _error(NO_FILES)
        placed: list[tuple[_Candidate, str, str, str]] = []
        for candidate in _without_top_folder(candidates):
            found = _place(candidate.parts)
            if isinstance(found, tuple):
                placed.append((candidate, *found))
            else:
                self._refuse(candidate, found)
        self._accept_unique(placed)

    def _unsafe_reason(self, candidate: _Candidate) -> StrOrPromise | None:
        info, path = candidate.info, candidate.path
        if _CONTROL.search(info.orig_filename) or _CONTROL.search(path):
            return HIDDEN_CHARACTERS
        if (
            path.startswith("/")
            or "\\" in path
            or _DRIVE.match(path)
            or any(part in ("", ".", "..") for part in candidate.parts)
        ):
            return UNSAFE_PATH
        if stat.S_ISLNK(info.external_attr >> 16):
            return SYMLINK
        extension = path.rpartition(".")[2].casefold() if "." in candidate.parts[-1] else ""
        if extension in NESTED_ARCHIVE_EXTENSIONS:
            return NESTED_ARCHIVE
        if info.file_size > self.max_entry_bytes:
            return format_lazy(ENTRY_TOO_BIG, limit=_megabytes(self.max_entry_bytes))
        if info.file_size > RATIO_MIN_BYTES and (
            info.compress_size == 0 or info.file_size / info.compress_size > self.max_ratio
        ):
            return format_lazy(COMPRESSION_BOMB, ratio=self.max_ratio)
        if info.compress_type not in _SUPPORTED_METHODS:
            return COMPRESSION_UNSUPPORTED
        return None

    def _accept_unique(self, placed: list[tuple[_Candidate, str, str, str]]) -> None:
        by_document: dict[tuple[str, str], list[tuple[_Candidate, str]]] = defaultdict(list)
        for candidate, code, kind, part in placed:
            by_document[code, kind].append((candidate, part))
        for (code, kind), files in by_document.items():
            parts = [part for _, part in files]
            if len(set(parts)) < len(parts) or (Document.Part.MAIN in parts and len(parts) > 1):
                for candidate, _part in files:
                    others = ", ".join(f"“{c.display}”" for c, _ in files if c is not candidate)
                    self._refuse(candidate, format_lazy(DUPLICATE, others=others))
                continue
            if len(parts) == 1 and parts[0] in SIDES:
                candidate, part = files[0]
                missing = SIDES[1 - SIDES.index(part)]
                extension = candidate.parts[-1].rpartition(".")[2]
                self._refuse(
                    candidate,
                    format_lazy(LONE_SIDE, missing=f"{kind}-{missing}.{extension}", kind=kind),
                )
                continue
            for candidate, part in files:
                entry = ArchiveEntry(candidate.display, code, kind, part, candidate.info.file_size)
                self.entries.append(entry)
                self._infos[entry] = candidate.info

    def _refuse(self, candidate: _Candidate, reason: StrOrPromise) -> None:
        self.problems.append(ArchiveProblem(candidate.display, str(reason)))

    def read(self, entry: ArchiveEntry) -> bytes:
        """The entry's bytes; never more than max_entry_bytes + 1 are unpacked. Raises
        ArchiveError when the entry is damaged or unpacks to other than its declared size."""
        info = self._infos[entry]
        try:
            with self._zip.open(info) as stream:
                data = stream.read(self.max_entry_bytes + 1)
        except Exception as error:  # bad CRC, truncated data, a broken compressed stream
            raise _error(ENTRY_DAMAGED, path=entry.path) from error
        if len(data) != info.file_size or len(data) > self.max_entry_bytes:
            raise _error(ENTRY_DAMAGED, path=entry.path)
        return data

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> DocumentArchive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _check_directory_size(fileobj: IO[bytes], size: int, max_entries: int) -> None:
    """Refuse, from the end record alone, a central directory of too many entries or bytes."""
    tail_start = max(0, size - _EOCD.size - 0xFFFF)
    fileobj.seek(tail_start)
    tail = fileobj.read()
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        raise _error(ARCHIVE_DAMAGED)
    fields = _EOCD.unpack_from(tail, at)
    entries, directory_bytes = fields[4], fields[5]
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF or fields[6] == 0xFFFFFFFF:
        entries, directory_bytes = _zip64_directory(fileobj, tail_start + at)
    if entries > max_entries or directory_bytes > max_entries * CENTRAL_RECORD_BOUND:
        raise _error(TOO_MANY_ENTRIES, max_entries=f"{max_entries:,}")
    fileobj.seek(0)


def _zip64_directory(fileobj: IO[bytes], end_record_at: int) -> tuple[int, int]:
    locator_at = end_record_at - _ZIP64_LOCATOR.size
    if locator_at < 0:
        raise _error(ARCHIVE_DAMAGED)
    fileobj.seek(locator_at)
    locator = _ZIP64_LOCATOR.unpack(fileobj.read(_ZIP64_LOCATOR.size))
    if locator[0] != _ZIP64_LOCATOR_SIGNATURE:
        raise _error(ARCHIVE_DAMAGED)
    fileobj.seek(locator[2])
    record = fileobj.read(_ZIP64_EOCD.size)
    if len(record) < _ZIP64_EOCD.size or not record.startswith(_ZIP64_EOCD_SIGNATURE):
        raise _error(ARCHIVE_DAMAGED)
    fields = _ZIP64_EOCD.unpack(record)
    return fields[7], fields[8]


def _office_kind(names: set[str]) -> str:
    for folder, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
        if any(name.startswith(folder) for name in names):
            return kind
    return "zip"


def _decoded_name(info: zipfile.ZipInfo) -> str:
    """The entry's name. Without the UTF-8 flag zipfile reads it as CP437; Windows in Chinese
    writes GBK there, and some tools UTF-8 without setting the flag."""
    name = info.orig_filename
    if info.flag_bits & _UTF8_FLAG or name.isascii():
        return name
    raw = name.encode("cp437")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def _is_noise(info: zipfile.ZipInfo, path: str) -> bool:
    parts = path.rstrip("/").split("/")
    return (
        info.is_dir()
        or path.endswith("/")
        or any(part.casefold() in NOISE_FOLDERS for part in parts)
        or parts[-1].casefold() in NOISE_FILES
        or parts[-1].startswith("._")
    )


def _display(path: str) -> str:
    shown = _CONTROL.sub("?", path)
    if len(shown) > PATH_DISPLAY_CHARS:
        # The end names the company and the document; a long name loses its start.
        return "…" + shown[1 - PATH_DISPLAY_CHARS :]
    return shown


def _without_top_folder(candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates with their one common top folder taken off, when taking it off places
    more of them than leaving it (`customers/<code>/<kind>.jpg`)."""
    tops = {candidate.parts[0] for candidate in candidates}
    if len(tops) != 1 or any(len(candidate.parts) < 2 for candidate in candidates):
        return candidates
    stripped = [_Candidate(c.info, c.path, c.display, c.parts[1:]) for c in candidates]
    placed_as_is = sum(isinstance(_place(c.parts), tuple) for c in candidates)
    placed_stripped = sum(isinstance(_place(c.parts), tuple) for c in stripped)
    return stripped if placed_stripped > placed_as_is else candidates


def _place(parts: list[str]) -> tuple[str, str, str] | StrOrPromise:
    """`(credit code, kind, part)` for `<code>/<kind>[-front|-back].<ext>`, else the reason."""
    if len(parts) < 2:
        return NOT_IN_FOLDER
    if len(parts) > 2:
        return TOO_DEEP
    folder, file_name = parts
    stem, dot, extension = file_name.rpartition(".")
    if not dot or extension.casefold() not in IMAGE_EXTENSIONS:
        return WRONG_EXTENSION
    code = folder.strip().upper()
    kind = _KINDS_BY_NAME.get(stem.casefold())
    if kind is not None:
        return code, kind, Document.Part.MAIN.value
    base, _dash, side = stem.rpartition("-")
    kind = _KINDS_BY_NAME.get(base.casefold())
    if kind is None or kind not in _TWO_SIDED or side.casefold() not in SIDES:
        accepted = ", ".join(name.removesuffix(".jpg") for name, _ in document_file_names())
        return format_lazy(UNKNOWN_KIND, name=stem, accepted=accepted)
    return code, kind, side.casefold()
