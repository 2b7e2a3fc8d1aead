"""Pure: bytes in, bytes out; no storage, no ORM."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageCms, ImageOps

ID_CARD_GAP = 24
JPEG_QUALITIES = (90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40)
THUMBNAIL_QUALITY = 80
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


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
    # A fresh save without exif=/icc_profile= keeps no metadata from the inputs.
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
