"""The ZIP of document images of an import (filings.imports.archive): pure, no database. Every
hostile archive is built here at run time."""

from __future__ import annotations

import io
import stat
import struct
import time
import zipfile
import zlib
from collections.abc import Callable

import pytest
from django.utils.text import format_lazy
from django_stubs_ext import StrOrPromise

from filings.file_types import KIND_LABELS
from filings.imports import archive as ar
from filings.imports.archive import ArchiveEntry, ArchiveError, DocumentArchive
from tests.imagecorpus import docx_bytes, pdf_bytes

CODE = "91350100M000100Y43"
OTHER = "91110108MA01A2B3C4"
IMAGE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
MB = 1024 * 1024
ENTRY_LIMIT = 10 * MB

Files = dict[str, bytes] | list[tuple[str | zipfile.ZipInfo, bytes]]


def zip_data(files: Files, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(buffer, "w", compression) as target:
        for name, content in items:
            target.writestr(name, content)
    return buffer.getvalue()


def open_archive(data: bytes, **limits: int) -> DocumentArchive:
    return DocumentArchive(io.BytesIO(data), **{"max_entry_bytes": ENTRY_LIMIT, **limits})


def text(message: StrOrPromise, **params: object) -> str:
    return str(format_lazy(message, **params)) if params else str(message)


def problems(archive: DocumentArchive) -> dict[str, str]:
    return {problem.path: problem.reason for problem in archive.problems}


def refused(data: bytes, **limits: int) -> str:
    with pytest.raises(ArchiveError) as caught:
        open_archive(data, **limits)
    return str(caught.value.reason)


def central_records(data: bytes) -> list[int]:
    """The offsets of the central-directory records."""
    end = data.rindex(b"PK\x05\x06")
    count, _size, offset = struct.unpack_from("<HLL", data, end + 10)
    records = []
    for _ in range(count):
        records.append(offset)
        name, extra, comment = struct.unpack_from("<3H", data, offset + 28)
        offset += 46 + name + extra + comment
    return records


def patched(data: bytes, field: str, change: Callable[[int], int]) -> bytes:
    """`data` with a field of every central-directory record changed."""
    at, form = {"flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<L"), "size": (24, "<L")}[
        field
    ]
    out = bytearray(data)
    for record in central_records(data):
        (value,) = struct.unpack_from(form, out, record + at)
        struct.pack_into(form, out, record + at, change(value))
    return bytes(out)


# --- What is taken -------------------------------------------------------------------------


def test_a_folder_per_company_gives_an_entry_per_image() -> None:
    data = zip_data(
        {
            f"{CODE}/businessLicense.jpg": IMAGE,
            f"{CODE}/proprietorIdcard-front.PNG": IMAGE,
            f"{CODE}/proprietorIdcard-back.jpeg": IMAGE,
            f"{CODE}/OperatorIdcard.JPG": IMAGE,
            f" {OTHER.lower()} /numberapplicationOfficialletter.png": IMAGE[:10],
        }
    )
    with open_archive(data) as archive:
        assert archive.problems == []
        assert sorted((e.credit_code, e.kind, e.part, e.size) for e in archive.entries) == [
            (OTHER, "numberapplicationOfficialletter", "main", 10),
            (CODE, "businessLicense", "main", len(IMAGE)),
            (CODE, "operatorIdcard", "main", len(IMAGE)),
            (CODE, "proprietorIdcard", "back", len(IMAGE)),
            (CODE, "proprietorIdcard", "front", len(IMAGE)),
        ]
        entry = next(e for e in archive.entries if e.kind == "businessLicense")
        assert entry.path == f"{CODE}/businessLicense.jpg"
        assert archive.read(entry) == IMAGE


def test_one_common_top_folder_is_taken_off() -> None:
    data = zip_data(
        {
            f"customers/{CODE}/businessLicense.jpg": IMAGE,
            f"customers/{OTHER}/businessLicense.jpg": IMAGE,
            "customers/": b"",
        }
    )
    with open_archive(data) as archive:
        assert archive.problems == []
        assert {(e.credit_code, e.path) for e in archive.entries} == {
            (CODE, f"customers/{CODE}/businessLicense.jpg"),
            (OTHER, f"customers/{OTHER}/businessLicense.jpg"),
        }


def test_a_single_company_folder_is_not_mistaken_for_a_top_folder() -> None:
    data = zip_data({f"{CODE}/businessLicense.jpg": IMAGE, f"{CODE}/old/scan.jpg": IMAGE})
    with open_archive(data) as archive:
        assert [e.kind for e in archive.entries] == ["businessLicense"]
        assert problems(archive) == {f"{CODE}/old/scan.jpg": text(ar.TOO_DEEP)}


def test_what_zip_tools_add_is_left_out_silently() -> None:
    data = zip_data(
        {
            f"{CODE}/": b"",
            f"{CODE}/businessLicense.jpg": IMAGE,
            f"__MACOSX/{CODE}/._businessLicense.jpg": b"\x00\x05\x16\x07",
            f"{CODE}/.DS_Store": b"\x00\x00\x00\x01Bud1",
            f"{CODE}/Thumbs.db": b"\xd0\xcf\x11\xe0",
            f"{CODE}/desktop.ini": b"[.ShellClassInfo]",
            f"{CODE}/._businessLicense.jpg": b"\x00\x05\x16\x07",
        }
    )
    with open_archive(data) as archive:
        assert archive.problems == []
        assert [e.kind for e in archive.entries] == ["businessLicense"]


def test_gbk_names_of_windows_in_chinese_are_read() -> None:
    # zipfile writes non-ASCII names as UTF-8 with the flag set: write ASCII stand-ins of the
    # same length, then put GBK bytes in their place (no UTF-8 flag), as Windows does.
    folder, other_name = "客户资料".encode("gbk"), "营业执照".encode("gbk")
    data = zip_data(
        {
            f"XXXXXXXX/{CODE}/businessLicense.jpg": IMAGE,
            f"XXXXXXXX/{CODE}/YYYYYYYY.jpg": IMAGE,
        }
    )
    data = data.replace(b"XXXXXXXX", folder).replace(b"YYYYYYYY", other_name)
    assert all(not info.flag_bits & 0x800 for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    with open_archive(data) as archive:
        assert [(e.kind, e.path) for e in archive.entries] == [
            ("businessLicense", f"客户资料/{CODE}/businessLicense.jpg")
        ]
        assert archive.read(archive.entries[0]) == IMAGE
        accepted = ", ".join(name.removesuffix(".jpg") for name, _ in ar.document_file_names())
        assert problems(archive) == {
            f"客户资料/{CODE}/营业执照.jpg": text(
                ar.UNKNOWN_KIND, name="营业执照", accepted=accepted
            )
        }


def test_utf8_names_without_the_flag_are_read() -> None:
    data = zip_data({f"XXXXXXXXXXXX/{CODE}/businessLicense.jpg": IMAGE})
    data = data.replace(b"XXXXXXXXXXXX", "客户资料".encode())
    with open_archive(data) as archive:
        assert [e.path for e in archive.entries] == [f"客户资料/{CODE}/businessLicense.jpg"]


# --- Entries refused one by one -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        f"../{CODE}/businessLicense.jpg",
        f"{CODE}/../{CODE}/businessLicense.jpg",
        f"/{CODE}/businessLicense.jpg",
        f"{CODE}\\businessLicense.jpg",
        f"C:/{CODE}/businessLicense.jpg",
        f"./{CODE}/businessLicense.jpg",
    ],
)
def test_paths_that_could_leave_a_folder_are_refused(name: str) -> None:
    data = zip_data({name: IMAGE, f"{OTHER}/businessLicense.jpg": IMAGE})
    with open_archive(data) as archive:
        assert [e.credit_code for e in archive.entries] == [OTHER]
        assert problems(archive) == {name: text(ar.UNSAFE_PATH)}


def test_hidden_characters_in_a_name_are_refused_and_not_shown() -> None:
    data = zip_data({f"{CODE}/business\x01License.jpg": IMAGE})
    with open_archive(data) as archive:
        assert problems(archive) == {f"{CODE}/business?License.jpg": text(ar.HIDDEN_CHARACTERS)}


def test_a_symlink_is_refused() -> None:
    link = zipfile.ZipInfo(f"{CODE}/businessLicense.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    link.create_system = 3
    data = zip_data([(link, b"/etc/passwd")])
    with open_archive(data) as archive:
        assert archive.entries == []
        assert problems(archive) == {f"{CODE}/businessLicense.jpg": text(ar.SYMLINK)}


@pytest.mark.parametrize("extension", ["zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz"])
def test_an_archive_inside_is_refused(extension: str) -> None:
    name = f"{CODE}/businessLicense.{extension}"
    data = zip_data({name: zip_data({"inner.jpg": IMAGE})})
    with open_archive(data) as archive:
        assert problems(archive) == {name: text(ar.NESTED_ARCHIVE)}


def test_an_image_over_the_upload_limit_is_refused() -> None:
    data = zip_data({f"{CODE}/businessLicense.jpg": IMAGE * 3}, zipfile.ZIP_STORED)
    with open_archive(data, max_entry_bytes=len(IMAGE)) as archive:
        limit = f"{len(IMAGE) / MB:g} MB"
        assert problems(archive) == {
            f"{CODE}/businessLicense.jpg": text(ar.ENTRY_TOO_BIG, limit=limit)
        }


def test_a_high_ratio_entry_like_42_zip_is_refused_without_unpacking() -> None:
    name = f"{CODE}/businessLicense.jpg"
    data = zip_data({name: bytes(5 * MB), f"{OTHER}/businessLicense.jpg": IMAGE})
    assert len(data) < 50_000
    with open_archive(data) as archive:
        assert [e.credit_code for e in archive.entries] == [OTHER]
        assert problems(archive) == {name: text(ar.COMPRESSION_BOMB, ratio=ar.MAX_RATIO)}


def test_an_unknown_compression_method_is_refused() -> None:
    data = patched(zip_data({f"{CODE}/businessLicense.jpg": IMAGE}), "method", lambda _: 9)
    with open_archive(data) as archive:
        assert problems(archive) == {
            f"{CODE}/businessLicense.jpg": text(ar.COMPRESSION_UNSUPPORTED)
        }


def test_names_outside_the_convention_are_refused_with_the_reason() -> None:
    accepted = ", ".join(name.removesuffix(".jpg") for name, _ in ar.document_file_names())
    data = zip_data(
        {
            "businessLicense.jpg": IMAGE,
            f"{CODE}/scans/businessLicense.jpg": IMAGE,
            f"{CODE}/businessLicense.pdf": IMAGE,
            f"{CODE}/businessLicense": IMAGE,
            f"{CODE}/licence.jpg": IMAGE,
            f"{CODE}/businessLicense-front.jpg": IMAGE,
            f"{OTHER}/operatorIdcardInhand.jpg": IMAGE,
        }
    )
    with open_archive(data) as archive:
        assert [e.kind for e in archive.entries] == ["operatorIdcardInhand"]
        assert problems(archive) == {
            "businessLicense.jpg": text(ar.NOT_IN_FOLDER),
            f"{CODE}/scans/businessLicense.jpg": text(ar.TOO_DEEP),
            f"{CODE}/businessLicense.pdf": text(ar.WRONG_EXTENSION),
            f"{CODE}/businessLicense": text(ar.WRONG_EXTENSION),
            f"{CODE}/licence.jpg": text(ar.UNKNOWN_KIND, name="licence", accepted=accepted),
            f"{CODE}/businessLicense-front.jpg": text(
                ar.UNKNOWN_KIND, name="businessLicense-front", accepted=accepted
            ),
        }
    assert "proprietorIdcard-front" in accepted
    assert "businessUsageCommitmentletter" in accepted


def test_two_top_folders_are_not_taken_off() -> None:
    data = zip_data(
        {f"a/{CODE}/businessLicense.jpg": IMAGE, f"b/{OTHER}/businessLicense.jpg": IMAGE}
    )
    with open_archive(data) as archive:
        assert archive.entries == []
        assert set(problems(archive).values()) == {text(ar.TOO_DEEP)}


def test_two_images_of_one_document_are_both_refused() -> None:
    jpg, png = f"{CODE}/businessLicense.jpg", f"{CODE}/BusinessLicense.png"
    data = zip_data({jpg: IMAGE, png: IMAGE, f"{OTHER}/businessLicense.jpg": IMAGE})
    with open_archive(data) as archive:
        assert [e.credit_code for e in archive.entries] == [OTHER]
        assert problems(archive) == {
            jpg: text(ar.DUPLICATE, others=f"“{png}”"),
            png: text(ar.DUPLICATE, others=f"“{jpg}”"),
        }


def test_one_image_and_both_sides_of_one_card_are_all_refused() -> None:
    main, front, back = (
        f"{CODE}/proprietorIdcard.jpg",
        f"{CODE}/proprietorIdcard-front.jpg",
        f"{CODE}/proprietorIdcard-back.jpg",
    )
    data = zip_data({main: IMAGE, front: IMAGE, back: IMAGE})
    with open_archive(data) as archive:
        assert archive.entries == []
        assert problems(archive) == {
            main: text(ar.DUPLICATE, others=f"“{front}”, “{back}”"),
            front: text(ar.DUPLICATE, others=f"“{main}”, “{back}”"),
            back: text(ar.DUPLICATE, others=f"“{main}”, “{front}”"),
        }


def test_a_side_without_the_other_is_refused() -> None:
    front, back = f"{CODE}/operatorIdcard-front.jpg", f"{OTHER}/proprietorIdcard-back.png"
    data = zip_data({front: IMAGE, back: IMAGE})
    with open_archive(data) as archive:
        assert archive.entries == []
        assert problems(archive) == {
            front: text(ar.LONE_SIDE, missing="operatorIdcard-back.jpg", kind="operatorIdcard"),
            back: text(ar.LONE_SIDE, missing="proprietorIdcard-front.png", kind="proprietorIdcard"),
        }


def test_a_long_name_is_shortened_for_display() -> None:
    name = f"{CODE}/" + "x" * 300 + ".jpg"
    with open_archive(zip_data({name: IMAGE})) as archive:
        (problem,) = archive.problems
        assert len(problem.path) == ar.PATH_DISPLAY_CHARS
        assert problem.path == "…" + name[1 - ar.PATH_DISPLAY_CHARS :]


# --- Reading an entry -----------------------------------------------------------------------


def test_an_entry_that_unpacks_larger_than_declared_is_refused_on_read() -> None:
    data = zip_data({f"{CODE}/businessLicense.jpg": IMAGE * 200})
    data = patched(data, "size", lambda _: 1000)
    with open_archive(data, max_entry_bytes=2000) as archive:
        (entry,) = archive.entries
        assert entry.size == 1000
        with pytest.raises(ArchiveError) as caught:
            archive.read(entry)
        assert str(caught.value.reason) == text(ar.ENTRY_DAMAGED, path=entry.path)


def test_a_lying_size_with_a_matching_crc_never_gives_more_than_declared() -> None:
    content = IMAGE * 200
    data = zip_data({f"{CODE}/businessLicense.jpg": content})
    data = patched(data, "size", lambda _: 1000)
    data = patched(data, "crc", lambda _: zlib.crc32(content[:1000]))
    with open_archive(data, max_entry_bytes=2000) as archive:
        assert archive.read(archive.entries[0]) == content[:1000]


def test_a_bad_crc_is_refused_on_read() -> None:
    data = patched(zip_data({f"{CODE}/businessLicense.jpg": IMAGE}), "crc", lambda crc: crc ^ 1)
    with open_archive(data) as archive:
        (entry,) = archive.entries
        with pytest.raises(ArchiveError) as caught:
            archive.read(entry)
        assert str(caught.value.reason) == text(ar.ENTRY_DAMAGED, path=entry.path)


def test_an_entry_of_another_archive_cannot_be_read() -> None:
    data = zip_data({f"{CODE}/businessLicense.jpg": IMAGE})
    stranger = ArchiveEntry(f"{CODE}/x.jpg", CODE, "businessLicense", "main", 1)
    with open_archive(data) as archive, pytest.raises(KeyError):
        archive.read(stranger)


# --- Archives refused as a whole ------------------------------------------------------------


def test_an_empty_file_is_refused() -> None:
    assert refused(b"") == text(ar.ARCHIVE_EMPTY)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (pdf_bytes(), "pdf"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "jpeg"),
        (b"name,code\n", "text"),
        (b"Rar!\x1a\x07\x00" + bytes(30), "unknown"),
    ],
)
def test_what_is_not_a_zip_is_named(data: bytes, kind: str) -> None:
    assert refused(data) == text(ar.NOT_A_ZIP, kind=KIND_LABELS[kind])


def test_an_office_document_is_not_taken_for_the_archive() -> None:
    assert refused(docx_bytes()) == text(ar.NOT_A_ZIP, kind=KIND_LABELS["docx"])


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: data.replace(b"PK\x01\x02", b"PK\x09\x09"),
        lambda data: b"PK\x03\x04" + bytes(100),
    ],
)
def test_a_damaged_archive_is_refused(damage: Callable[[bytes], bytes]) -> None:
    data = zip_data({f"{CODE}/businessLicense.jpg": IMAGE, f"{OTHER}/businessLicense.jpg": IMAGE})
    assert refused(damage(data)) == text(ar.ARCHIVE_DAMAGED)


def test_a_password_protected_archive_is_refused() -> None:
    data = patched(zip_data({f"{CODE}/businessLicense.jpg": IMAGE}), "flags", lambda f: f | 1)
    assert refused(data) == text(ar.ARCHIVE_ENCRYPTED)


def test_an_archive_over_its_size_limit_is_refused() -> None:
    data = zip_data({f"{CODE}/businessLicense.jpg": IMAGE})
    assert refused(data, max_archive_bytes=len(data) - 1) == text(
        ar.ARCHIVE_TOO_BIG, limit=f"{(len(data) - 1) / MB:g} MB"
    )


def test_declared_sizes_over_the_total_are_refused() -> None:
    data = zip_data({f"{CODE}/{n}.jpg": IMAGE for n in range(3)})
    data = patched(data, "size", lambda _: 0xFFFFFFF0)  # three times 4 GB declared
    assert refused(data) == text(ar.UNPACKS_TOO_BIG, limit="4 GB")


def test_more_entries_than_allowed_are_refused_before_they_are_parsed() -> None:
    started = time.monotonic()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as target:
        info = zipfile.ZipInfo("x")
        for n in range(ar.MAX_ENTRIES + 1):
            info.filename = info.orig_filename = f"{n}"
            target.writestr(info, b"")
    assert refused(buffer.getvalue()) == text(ar.TOO_MANY_ENTRIES, max_entries="20,000")
    assert time.monotonic() - started < 3


def test_a_lying_entry_count_is_caught_after_parsing() -> None:
    data = bytearray(zip_data({f"{CODE}/{n}.jpg": IMAGE for n in range(4)}))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)
    assert refused(bytes(data), max_entries=3) == text(ar.TOO_MANY_ENTRIES, max_entries="3")


def test_a_huge_central_directory_is_refused_before_it_is_read() -> None:
    data = bytearray(zip_data({f"{CODE}/businessLicense.jpg": IMAGE}))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<L", data, end + 12, 3 * ar.CENTRAL_RECORD_BOUND + 1)
    assert refused(bytes(data), max_entries=3) == text(ar.TOO_MANY_ENTRIES, max_entries="3")


def test_an_archive_of_only_noise_holds_no_files() -> None:
    data = zip_data({"__MACOSX/._x": b"", "folder/": b"", ".DS_Store": b""})
    assert refused(data) == text(ar.NO_FILES)


def test_the_documents_sheet_names_every_kind() -> None:
    names = [name for name, _ in ar.document_file_names()]
    assert names[:1] == ["businessLicense.jpg"]
    assert {"proprietorIdcard-front.jpg", "operatorIdcard-back.jpg"} <= set(names)
    assert "operatorIdcardInhand-front.jpg" not in names
