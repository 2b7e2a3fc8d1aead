"""Is an upload one acceptable JPEG or PNG image? Pure: no ORM, no network, no clock."""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile

from filings.file_types import KIND_LABELS, MARKUP, PNG_SIGNATURE, sniff_type

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

IMAGE_EMPTY = "image_empty"
IMAGE_TOO_LARGE = "image_too_large"
IMAGE_WRONG_TYPE = "image_wrong_type"
IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
IMAGE_MULTI_FRAME = "image_multi_frame"
IMAGE_CORRUPT = "image_corrupt"
IMAGE_TRAILING_DATA = "image_trailing_data"

EMPTY_FILE_MESSAGE = _("%(field)s: the file is empty. Choose the image again and upload it.")
FILE_TOO_LARGE_MESSAGE = _(
    "%(field)s: the file is %(size)s MB, more than the limit of %(limit)s MB. "
    "Reduce the image's resolution or quality and upload it again."
)
WRONG_TYPE_MESSAGE = _(
    "%(field)s: the file is %(kind)s, not a JPEG or PNG image (whatever its name says). "
    "Save or export the document as a JPEG or PNG image, or photograph or scan it, and upload "
    "that file."
)
TOO_MANY_PIXELS_MESSAGE = _(
    "%(field)s: the image is %(width)s × %(height)s pixels, more than the limit of "
    "%(limit)s megapixels. Reduce its resolution and upload it again."
)
MULTI_FRAME_MESSAGE = _(
    "%(field)s: the file holds %(frames)s pictures (an animated PNG or a multi-picture "
    "JPEG); only a single still image is accepted. Save one picture as JPEG or PNG and upload "
    "that."
)
CORRUPT_MESSAGE = _(
    "%(field)s: the file starts like a %(kind)s image but cannot be read completely; it is "
    "damaged or incomplete. Open it, save it again as JPEG or PNG, and upload the new file."
)
CORRUPT_MARKUP_MESSAGE = _(
    "%(field)s: the file starts like a %(kind)s image but is not one; it contains %(hidden)s "
    "content. Upload a real photo or scan in JPEG or PNG format."
)
TRAILING_DATA_MESSAGE = _(
    "%(field)s: the file has %(extra)s bytes of extra data after the end of the %(kind)s "
    "image. Open it, save it again as JPEG or PNG, and upload the new file."
)
TRAILING_DATA_KIND_MESSAGE = _(
    "%(field)s: the file has %(extra)s bytes of extra data after the end of the %(kind)s "
    "image, and that data is %(hidden)s. Open the image, save it again as JPEG or PNG, and "
    "upload the new file."
)

_FORMATS = {"jpeg": ("JPEG", "jpg", "image/jpeg"), "png": ("PNG", "png", "image/png")}
_PADDING = b"\x00\t\n\r "
# Cameras (Samsung's "SEF" trailer, for one) append small metadata blocks after the image;
# anything larger, or anything recognisable as another file, is a reason to re-save.
TRAILING_BYTES_ALLOWED = 4096
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_ORIENTATION_TAG = 0x0112
_SCAN_END = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


@dataclass(frozen=True)
class ImageInfo:
    """What inspect_image found; width and height are as displayed (EXIF orientation applied)."""

    format: str
    extension: str
    content_type: str
    width: int
    height: int
    size: int
    sha256: str


def _fail(message: StrOrPromise, code: str, field_label: StrOrPromise, **params: Any) -> NoReturn:
    raise ValidationError(message, code=code, params={"field": field_label, **params})


def megabytes(size: int, *, round_up: bool) -> str:
    """`size` in MB with one decimal ("12.4", "10"), rounded up for sizes, down for limits.

    Binary megabytes, as the settings (10 * 1024 * 1024) and most file managers count them.
    """
    tenths = size / (1024 * 1024 / 10)
    value = (math.ceil(tenths) if round_up else math.floor(tenths)) / 10
    return f"{value:.1f}".removesuffix(".0")


def check_file_size(size: int, *, field_label: StrOrPromise, max_bytes: int) -> None:
    """Refuse a file of `size` bytes over `max_bytes`; the message states both in MB.

    For a file too large to be read, pass the size the upload reported (its real size).
    """
    if size > max_bytes:
        _fail(
            FILE_TOO_LARGE_MESSAGE,
            IMAGE_TOO_LARGE,
            field_label,
            size=megabytes(size, round_up=True),
            limit=megabytes(max_bytes, round_up=False),
        )


def inspect_image(
    data: bytes, *, field_label: StrOrPromise, max_bytes: int, max_pixels: int
) -> ImageInfo:
    """Decide from the bytes alone whether `data` is one acceptable JPEG or PNG image."""
    if not data:
        _fail(EMPTY_FILE_MESSAGE, IMAGE_EMPTY, field_label)
    check_file_size(len(data), field_label=field_label, max_bytes=max_bytes)
    kind = sniff_type(data)
    if kind not in _FORMATS:
        _fail(WRONG_TYPE_MESSAGE, IMAGE_WRONG_TYPE, field_label, kind=KIND_LABELS[kind])
    pil_format, extension, content_type = _FORMATS[kind]
    label = KIND_LABELS[kind]

    # Pillow's own decompression-bomb limit applies too; checking against the lower of the two
    # here means Pillow never has to be the one to refuse.
    if Image.MAX_IMAGE_PIXELS is not None:
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    header_size, end = _scan_jpeg(data) if kind == "jpeg" else _scan_png(data)
    if header_size is not None:
        _check_pixels(header_size, max_pixels, field_label)

    width, height, orientation = _decode(data, kind, label, max_pixels, field_label)

    if end is None:
        _fail_corrupt(data, label, field_label)
    else:
        _check_trailing(data[end:], label, field_label)

    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(
        format=pil_format,
        extension=extension,
        content_type=content_type,
        width=width,
        height=height,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _megapixels(pixels: int) -> str:
    megapixels = pixels / 1_000_000
    return f"{round(megapixels, 1):g}" if megapixels >= 1 else f"{megapixels:.3g}"


def _check_pixels(size: tuple[int, int], max_pixels: int, field_label: StrOrPromise) -> None:
    width, height = size
    if width * height > max_pixels:
        _fail(
            TOO_MANY_PIXELS_MESSAGE,
            IMAGE_TOO_MANY_PIXELS,
            field_label,
            width=width,
            height=height,
            limit=_megapixels(max_pixels),
        )


def _decode(
    data: bytes, kind: str, label: StrOrPromise, max_pixels: int, field_label: StrOrPromise
) -> tuple[int, int, int]:
    """Open, verify and fully decode; return the stored size and the EXIF orientation."""
    formats = ("JPEG",) if kind == "jpeg" else ("PNG",)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                _check_pixels(probe.size, max_pixels, field_label)
                frames = getattr(probe, "n_frames", 1)
                if probe.format not in ("JPEG", "PNG") or frames > 1:
                    _fail(MULTI_FRAME_MESSAGE, IMAGE_MULTI_FRAME, field_label, frames=frames)
                probe.verify()
            # verify() leaves the image unusable, so decode from a fresh one.
            with Image.open(io.BytesIO(data), formats=formats) as image:
                width, height = image.size
                # A JPEG is decoded at 1/8 scale: libjpeg still entropy-decodes every block, so
                # damage is found, without width x height x 4 bytes of pixels (48 MB for a
                # 12 MP photo) or the full IDCT. PNG: no effect.
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
                orientation = _orientation(image)
                return width, height, orientation
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _fail(
            TOO_MANY_PIXELS_MESSAGE,
            IMAGE_TOO_MANY_PIXELS,
            field_label,
            width="?",
            height="?",
            limit=_megapixels(max_pixels),
        )
    except Exception:  # Pillow raises many types for damaged input
        _fail_corrupt(data, label, field_label)


def _orientation(image: ImageFile.ImageFile) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # unreadable EXIF is treated as "no rotation"
        return 1
    return value if isinstance(value, int) else 1


def _fail_corrupt(data: bytes, label: StrOrPromise, field_label: StrOrPromise) -> NoReturn:
    lowered = data[:65536].lower()
    hidden = "svg" if b"<svg" in lowered else "html" if any(m in lowered for m in MARKUP) else ""
    if hidden:
        _fail(
            CORRUPT_MARKUP_MESSAGE,
            IMAGE_CORRUPT,
            field_label,
            kind=label,
            hidden=hidden.upper(),
        )
    _fail(CORRUPT_MESSAGE, IMAGE_CORRUPT, field_label, kind=label)


def _check_trailing(trailing: bytes, label: StrOrPromise, field_label: StrOrPromise) -> None:
    meaningful = trailing.strip(_PADDING)
    if not meaningful:
        return
    hidden = sniff_type(meaningful)
    if hidden in ("unknown", "text") and len(meaningful) <= TRAILING_BYTES_ALLOWED:
        return
    if hidden == "unknown":
        _fail(
            TRAILING_DATA_MESSAGE,
            IMAGE_TRAILING_DATA,
            field_label,
            extra=len(trailing),
            kind=label,
        )
    hidden_label = KIND_LABELS[hidden] if hidden not in _FORMATS else _("another image")
    _fail(
        TRAILING_DATA_KIND_MESSAGE,
        IMAGE_TRAILING_DATA,
        field_label,
        extra=len(trailing),
        kind=label,
        hidden=hidden_label,
    )


def _scan_png(data: bytes) -> tuple[tuple[int, int] | None, int | None]:
    """Return (IHDR size, offset just past IEND) from the chunk structure."""
    size = None
    if data[12:16] == b"IHDR":
        size = (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        pos += 12 + length
        if chunk_type == b"IEND":
            return size, pos if pos <= len(data) else None
    return size, None


def _scan_jpeg(data: bytes) -> tuple[tuple[int, int] | None, int | None]:
    """Return (frame size, offset just past EOI) by walking the marker segments."""
    size: tuple[int, int] | None = None
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            return size, None
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            return size, None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return size, pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        if pos + 2 > end:
            return size, None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return size, None
        if marker in _SOF_MARKERS and size is None and pos + 7 <= end:
            size = (
                int.from_bytes(data[pos + 5 : pos + 7], "big"),
                int.from_bytes(data[pos + 3 : pos + 5], "big"),
            )
        pos += length
        if marker == 0xDA:
            pos = _skip_entropy_coded(data, pos)
            if pos < 0:
                return size, None
    return size, None


def _skip_entropy_coded(data: bytes, pos: int) -> int:
    """Offset of the marker that ends the scan starting at `pos`, or -1 if there is none.

    That is the first 0xFF followed by a byte that is not a stuffed 0x00, a restart marker
    (0xD0-0xD7) or fill (0xFF). One regex search instead of a Python loop over every 0xFF.
    """
    found = _SCAN_END.search(data, pos)
    return found.start() if found else -1
