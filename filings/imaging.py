"""Pure: bytes in, bytes out; no storage, no ORM."""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, ImageCms, ImageFile, ImageOps, JpegImagePlugin

ID_CARD_GAP = 24
JPEG_QUALITIES = (90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40)
THUMBNAIL_QUALITY = 80
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
# Re-encoding a rotated JPEG whose quantization tables cannot be reused (16-bit tables).
FALLBACK_JPEG_QUALITY = 95


class ImagingError(ValueError):
    """The input cannot be decoded, or the output cannot meet the size limit."""


def compose_id_card(
    front: bytes,
    back: bytes,
    *,
    width: int = 1200,
    max_bytes: int = 5_000_000,
    gap: int = ID_CARD_GAP,
) -> bytes:
    """One JPEG with `front` above `back`, both `width` pixels wide, without metadata."""
    if width < 1:
        raise ImagingError(f"width must be positive, not {width}")
    sides = [_scale_to_width(_open_rgb(data), width) for data in (front, back)]
    sheet = Image.new("RGB", (width, sides[0].height + gap + sides[1].height), "white")
    sheet.paste(sides[0], (0, 0))
    sheet.paste(sides[1], (0, sides[0].height + gap))
    for quality in JPEG_QUALITIES:
        encoded = _encode_jpeg(sheet, quality)
        if len(encoded) <= max_bytes:
            return encoded
    raise ImagingError(
        f"the composed image is still {len(encoded)} bytes at JPEG quality "
        f"{JPEG_QUALITIES[-1]}, over the limit of {max_bytes} bytes"
    )


def thumbnail_jpeg(data: bytes, *, box: int = 240) -> bytes:
    """A preview JPEG that fits in `box`×`box`, upright, RGB, without metadata."""
    image = _open_rgb(data, draft_box=box)
    image.thumbnail((box, box), Image.Resampling.LANCZOS)
    return _encode_jpeg(image, THUMBNAIL_QUALITY)


def _open_rgb(data: bytes, *, draft_box: int | None = None) -> Image.Image:
    """Decode `data`, turn it upright per EXIF, and return it as sRGB on white."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as image:
                if draft_box is not None and image.format == "JPEG":
                    # Let libjpeg decode at a reduced scale: much faster for previews.
                    image.draft("RGB", (draft_box, draft_box))
                upright = ImageOps.exif_transpose(image)
                return _to_rgb(upright, image.info.get("icc_profile"))
    except ImagingError:
        raise
    except Exception as error:  # Pillow raises many types for damaged input
        raise ImagingError(f"cannot decode image: {error}") from error


def _to_rgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    if image.mode in _SIXTEEN_BIT_MODES:
        image = image.convert("I").point(lambda value: value / 257).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flattened = Image.new("RGB", rgba.size, "white")
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        return flattened
    if icc_profile and image.mode in ("RGB", "CMYK"):
        converted = _profile_to_srgb(image, icc_profile)
        if converted is not None:
            return converted
    return image.convert("RGB")


def _profile_to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    """Colour-manage to sRGB; None when the embedded profile is unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        target = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, source, target, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return converted


def _scale_to_width(image: Image.Image, width: int) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    if image.size == (width, height):
        return image
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    # Pillow writes a JPEG comment found in `info`; without exif=/icc_profile= nothing else.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


# --- Metadata ------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The chunks that describe the picture; text, EXIF, times and private chunks are dropped.
PNG_CHUNKS_KEPT = frozenset(
    {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"sBIT"}
    | {b"pHYs", b"bKGD"}
)
# Frame, table, restart-interval and scan markers; APPn (0xE0-0xEF), COM (0xFE) and the rest are
# dropped unless _kept_app_segment keeps them.
_JPEG_MARKERS_KEPT = frozenset(range(0xC0, 0xD0)) | {0xDA, 0xDB, 0xDC, 0xDD}
_SCAN_END = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_TURNS = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
_ORIENTATION_TAG = 0x0112


def strip_metadata(data: bytes) -> bytes:
    """`data` (an accepted JPEG or PNG) upright, with nothing but its picture and ICC profile.

    EXIF, XMP, IPTC/Photoshop blocks, comments, text chunks, thumbnails, private segments and
    bytes after the end of the image are dropped. An image that needs no turning keeps its
    compressed picture byte for byte (only segments or chunks are left out), so nothing is
    lost; a file that holds nothing else comes back unchanged. An image with an EXIF
    orientation is decoded, turned upright and re-encoded in its own format: PNG losslessly,
    JPEG with its own quantization tables and chroma subsampling.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as image:
                if _orientation(image) in range(2, 9):
                    return _reencode_upright(image)
                stripped = _strip_jpeg(data) if image.format == "JPEG" else _strip_png(data)
                return stripped if stripped is not None else _reencode_upright(image)
    except ImagingError:
        raise
    except Exception as error:  # Pillow raises many types for damaged input
        raise ImagingError(f"cannot decode image: {error}") from error


def _orientation(image: ImageFile.ImageFile) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # unreadable EXIF is treated as "no rotation", as inspect_image does
        return 1
    return value if isinstance(value, int) else 1


def _strip_jpeg(data: bytes) -> bytes | None:
    """The kept segments up to EOI, in order; None when the structure is not understood."""
    kept = [data[:2]]
    pos, end = 2, len(data)
    while pos + 1 < end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if pos + 4 > end:
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > end:
            return None
        start, pos = pos, pos + 2 + length
        if marker == 0xDA:
            scan_end = _SCAN_END.search(data, pos)
            if scan_end is None:
                return None
            pos = scan_end.start()
        segment = data[start:pos]
        if marker in _JPEG_MARKERS_KEPT:
            kept.append(segment)
        elif 0xE0 <= marker <= 0xEF:
            kept.append(_kept_app_segment(marker, segment))
        elif marker != 0xFE:
            return None  # standalone or reserved markers outside a scan: let Pillow re-encode
    return None


def _kept_app_segment(marker: int, segment: bytes) -> bytes:
    """What stays of an APPn segment: JFIF without its thumbnail, ICC profile, Adobe."""
    payload = segment[4:]
    if marker == 0xE0 and payload.startswith(b"JFIF\0") and len(payload) >= 14:
        return b"\xff\xe0\x00\x10" + payload[:12] + b"\x00\x00"
    if marker == 0xE2 and payload.startswith(b"ICC_PROFILE\0"):
        return segment
    if marker == 0xEE and payload.startswith(b"Adobe") and len(payload) == 12:
        return segment
    return b""


def _strip_png(data: bytes) -> bytes | None:
    """The kept chunks up to IEND, in order; None when the structure is not understood."""
    kept = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        chunk_type = data[pos + 4 : pos + 8]
        chunk_end = pos + 12 + int.from_bytes(data[pos : pos + 4], "big")
        if chunk_end > len(data):
            return None
        if chunk_type in PNG_CHUNKS_KEPT:
            kept.append(data[pos:chunk_end])
        pos = chunk_end
        if chunk_type == b"IEND":
            return b"".join(kept)
    return None


def _reencode_upright(image: ImageFile.ImageFile) -> bytes:
    """Decode, apply the EXIF orientation, and encode again with only the ICC profile."""
    upright = ImageOps.exif_transpose(image)
    icc_profile = image.info.get("icc_profile")
    options: dict[str, object] = {"icc_profile": icc_profile} if icc_profile else {}
    if image.format == "JPEG":
        options |= _jpeg_options(image, turned=_orientation(image) in _TURNS)
    elif image.info.get("transparency") is not None:
        options["transparency"] = image.info["transparency"]
    # Pillow carries some of `info` (a JPEG comment, a PNG profile) into what it writes.
    upright.info = {}
    buffer = io.BytesIO()
    upright.save(buffer, image.format, **options)
    return buffer.getvalue()


def _jpeg_options(image: ImageFile.ImageFile, *, turned: bool) -> dict[str, object]:
    """Encode like the source: its quantization tables (transposed when the picture is turned
    by 90°), chroma subsampling and progression; the quality and size stay about the same."""
    options: dict[str, object] = {"progressive": bool(image.info.get("progressive"))}
    tables = [table for _, table in sorted(getattr(image, "quantization", {}).items())]
    if 1 <= len(tables) <= 4 and all(max(table) <= 255 for table in tables):
        options["qtables"] = [_transposed(table) if turned else table for table in tables]
    else:
        options["quality"] = FALLBACK_JPEG_QUALITY
    sampling = JpegImagePlugin.get_sampling(image)
    if sampling >= 0:
        # 4:2:2 halves the width of the colour planes; turned, that would be their height.
        options["subsampling"] = 0 if turned and sampling == 1 else sampling
    return options


def _transposed(table: list[int]) -> list[int]:
    """An 8×8 quantization table (natural order) mirrored on its diagonal."""
    return [table[column * 8 + row] for row in range(8) for column in range(8)]
