"""Uploaded images (filings.image_checks): pure, no database."""

from __future__ import annotations

import hashlib
import io
import random

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image

from filings import image_checks as checks
from filings.file_types import KIND_LABELS
from tests import imagecorpus as corpus

FIELD = "营业执照 business licence"
LIMITS = {"max_bytes": 5_000_000, "max_pixels": 40_000_000}


@pytest.fixture(autouse=True, scope="module")
def _settings_for_messages() -> None:
    # Lazy messages need settings only when rendered; under pytest-django they already exist.
    if not settings.configured:
        settings.configure(USE_I18N=False)


def rendered(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


def reject(data: bytes, **limits: int) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        checks.inspect_image(data, field_label=FIELD, **(LIMITS | limits))
    return caught.value


# --- images: accepted -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), corpus.all_accepted_samples().items())
def test_accepted_samples(name: str, data: bytes) -> None:
    info = checks.inspect_image(data, field_label=FIELD, **LIMITS)
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    if name.startswith("jpeg"):
        assert (info.format, info.extension, info.content_type) == ("JPEG", "jpg", "image/jpeg")
    else:
        assert (info.format, info.extension, info.content_type) == ("PNG", "png", "image/png")
    if "orientation_6" in name:
        assert (info.width, info.height) == (48, 64)
    else:
        assert (info.width, info.height) == (64, 48)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_reported_size_follows_exif_orientation(orientation: int) -> None:
    info = checks.inspect_image(
        corpus.jpeg_bytes(80, 30, exif_orientation=orientation), field_label=FIELD, **LIMITS
    )
    assert (info.width, info.height) == ((30, 80) if orientation >= 5 else (80, 30))


def test_png_exif_orientation_is_respected_too() -> None:
    info = checks.inspect_image(
        corpus.png_bytes(80, 30, exif_orientation=8), field_label=FIELD, **LIMITS
    )
    assert (info.width, info.height) == (30, 80)


def test_image_info_is_frozen() -> None:
    info = checks.inspect_image(corpus.png_bytes(), field_label=FIELD, **LIMITS)
    with pytest.raises(AttributeError):
        info.width = 1  # type: ignore[misc]


# --- images: rejected -----------------------------------------------------------------------

REJECTIONS: dict[str, tuple[str, str]] = {
    # sample name: (error code, words the message must contain to name the real type)
    "empty": (checks.IMAGE_EMPTY, "empty"),
    "gif": (checks.IMAGE_WRONG_TYPE, "GIF"),
    "webp": (checks.IMAGE_WRONG_TYPE, "WebP"),
    "bmp": (checks.IMAGE_WRONG_TYPE, "BMP"),
    "tiff": (checks.IMAGE_WRONG_TYPE, "TIFF"),
    "heic": (checks.IMAGE_WRONG_TYPE, "HEIC"),
    "svg": (checks.IMAGE_WRONG_TYPE, "SVG"),
    "html": (checks.IMAGE_WRONG_TYPE, "HTML"),
    "text": (checks.IMAGE_WRONG_TYPE, "text"),
    "pdf": (checks.IMAGE_WRONG_TYPE, "PDF"),
    "zip": (checks.IMAGE_WRONG_TYPE, "ZIP"),
    "docx": (checks.IMAGE_WRONG_TYPE, "DOCX"),
    "elf": (checks.IMAGE_WRONG_TYPE, "ELF executable"),
    "pe": (checks.IMAGE_WRONG_TYPE, "Windows executable"),
    "truncated_jpeg": (checks.IMAGE_CORRUPT, "JPEG image but cannot be read completely"),
    "truncated_png": (checks.IMAGE_CORRUPT, "PNG image but cannot be read completely"),
    "png_bad_crc": (checks.IMAGE_CORRUPT, "PNG image but cannot be read completely"),
    "jpeg_without_eoi": (checks.IMAGE_CORRUPT, "JPEG image but cannot be read completely"),
    "animated_png": (checks.IMAGE_MULTI_FRAME, "2 pictures"),
    "mpo": (checks.IMAGE_MULTI_FRAME, "2 pictures"),
    "huge_png": (checks.IMAGE_TOO_MANY_PIXELS, "30000 × 30000"),
    "huge_jpeg": (checks.IMAGE_TOO_MANY_PIXELS, "30000 × 30000"),
    "polyglot_jpeg_zip": (
        checks.IMAGE_TRAILING_DATA,
        "after the end of the JPEG image, and that data is a ZIP archive",
    ),
    "polyglot_jpeg_html": (checks.IMAGE_TRAILING_DATA, "that data is an HTML page"),
    "polyglot_png_zip": (checks.IMAGE_TRAILING_DATA, "after the end of the PNG image"),
    "jpeg_without_eoi_html": (checks.IMAGE_CORRUPT, "it contains HTML"),
    "html_with_jpeg_header": (
        checks.IMAGE_CORRUPT,
        "starts like a JPEG image but is not one; it contains HTML",
    ),
}


def test_rejection_table_covers_the_whole_corpus() -> None:
    assert set(REJECTIONS) == set(corpus.all_rejected_samples())


@pytest.mark.parametrize(("name", "data"), corpus.all_rejected_samples().items())
def test_rejected_samples_name_the_field_and_the_reason(name: str, data: bytes) -> None:
    code, words = REJECTIONS[name]
    error = reject(data)
    assert error.code == code
    message = rendered(error)
    assert message.startswith(FIELD + ":")
    assert words in message


def test_unknown_type_is_called_unknown() -> None:
    error = reject(b"\x00\x01\x02\x03 not anything")
    assert error.code == checks.IMAGE_WRONG_TYPE
    assert "unknown" in rendered(error)


def test_the_name_never_matters_only_the_bytes() -> None:
    # There is no name parameter at all; a GIF is a GIF whatever it was called.
    assert reject(corpus.gif_bytes()).params["kind"] is KIND_LABELS["gif"]  # type: ignore[index]


def test_too_large_states_the_limit_in_mb() -> None:
    data = b"\xff\xd8\xff" + bytes(2 * 1024 * 1024 - 2)
    error = reject(data, max_bytes=2 * 1024 * 1024)
    assert error.code == checks.IMAGE_TOO_LARGE
    assert "2.1 MB, more than the limit of 2 MB" in rendered(error)


@pytest.mark.parametrize(
    ("size", "says"),
    [
        (round(12.4 * 1024 * 1024), "12.4 MB"),
        (60 * 1024 * 1024, "60 MB"),
        (10 * 1024 * 1024 + 1, "10.1 MB"),
    ],
)
def test_file_size_check_reports_the_size_it_is_given(size: int, says: str) -> None:
    """A file over the limit is not read: the size the upload reported is the one named."""
    with pytest.raises(ValidationError) as caught:
        checks.check_file_size(size, field_label=FIELD, max_bytes=10 * 1024 * 1024)
    assert caught.value.code == checks.IMAGE_TOO_LARGE
    assert rendered(caught.value) == (
        f"{FIELD}: the file is {says}, more than the limit of 10 MB. "
        "Reduce the image's resolution or quality and upload it again."
    )
    checks.check_file_size(10 * 1024 * 1024, field_label=FIELD, max_bytes=10 * 1024 * 1024)


def test_too_large_is_decided_before_anything_is_parsed() -> None:
    error = reject(corpus.gif_bytes(), max_bytes=10)
    assert error.code == checks.IMAGE_TOO_LARGE


def test_too_many_pixels_names_the_size_and_limit() -> None:
    error = reject(corpus.png_bytes(64, 48), max_pixels=3000)
    assert error.code == checks.IMAGE_TOO_MANY_PIXELS
    assert "64 × 48 pixels, more than the limit of 0.003 megapixels" in rendered(error)
    assert checks.inspect_image(
        corpus.png_bytes(64, 48), field_label=FIELD, **(LIMITS | {"max_pixels": 3072})
    )


@pytest.mark.parametrize(
    "data",
    [
        corpus.png_with_claimed_size(5000, 5000),
        # Without its end marker: libjpeg conceals bad scan data up to an EOI, but not a cut.
        corpus.jpeg_with_claimed_size(5000, 5000)[:-2],
    ],
    ids=["png", "jpeg"],
)
def test_pixel_limit_is_checked_on_the_header_before_decoding(data: bytes) -> None:
    # 5000×5000 is under Pillow's own bomb limit; the pixel data behind the header is far too
    # short, so only a header check can say "too many pixels" rather than "damaged".
    assert reject(data, max_pixels=10_000_000).code == checks.IMAGE_TOO_MANY_PIXELS
    assert reject(data, max_pixels=30_000_000).code == checks.IMAGE_CORRUPT


def test_pillow_bomb_limit_caps_a_generous_setting() -> None:
    error = reject(corpus.png_with_claimed_size(30000, 30000), max_pixels=10**12)
    assert error.code == checks.IMAGE_TOO_MANY_PIXELS
    assert Image.MAX_IMAGE_PIXELS is not None
    assert f"{round(Image.MAX_IMAGE_PIXELS / 1_000_000, 1):g} megapixels" in rendered(error)


def test_pillow_bomb_errors_are_reported_as_too_many_pixels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Should the header scan ever miss the size, Pillow's guard (warnings made errors) holds.
    monkeypatch.setattr(checks, "_scan_png", lambda data: (None, None))
    for pillow_limit in (20_000_000, 10_000_000):  # 25 MP: a warning, then an error
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
        error = reject(corpus.png_with_claimed_size(5000, 5000), max_pixels=10**12)
        assert error.code == checks.IMAGE_TOO_MANY_PIXELS
        assert f"limit of {pillow_limit // 1_000_000} megapixels" in rendered(error)


@pytest.mark.parametrize(
    ("trailing", "accepted"),
    [
        (bytes(100_000), True),  # zero padding, however long
        (b"\r\n \t" * 50, True),
        (b"Image_UTC_Data1700000000000SEFH", True),  # a short camera trailer
        (random.Random(1).randbytes(checks.TRAILING_BYTES_ALLOWED), True),
        (random.Random(2).randbytes(checks.TRAILING_BYTES_ALLOWED + 1), False),
        (b"<svg onload=alert(1)>", False),  # short, but markup
        (b"<script>alert(1)</script>", False),
        (corpus.zip_bytes(), False),
        (corpus.pdf_bytes(), False),
        (corpus.png_bytes(), False),
        (corpus.jpeg_bytes(), False),
    ],
)
def test_trailing_data_after_the_image(trailing: bytes, accepted: bool) -> None:
    for image in (corpus.jpeg_bytes(), corpus.png_bytes()):
        data = image + trailing
        if accepted:
            assert checks.inspect_image(data, field_label=FIELD, **LIMITS).size == len(data)
        else:
            error = reject(data)
            assert error.code == checks.IMAGE_TRAILING_DATA
            assert f"{len(trailing)} bytes of extra data" in rendered(error)


def test_trailing_image_is_called_another_image() -> None:
    assert "that data is another image" in rendered(
        reject(corpus.jpeg_bytes() + corpus.png_bytes())
    )


def test_trailing_data_inside_exif_thumbnail_is_not_mistaken_for_the_end() -> None:
    # The EOI of an embedded thumbnail (in APP1) is not the end of the image.
    thumb = corpus.jpeg_bytes(16, 12)
    exif = Image.Exif()
    exif[0x0112] = 1
    image = corpus.pattern_image(64, 48)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes() + thumb)
    data = buffer.getvalue()
    assert checks.inspect_image(data, field_label=FIELD, **LIMITS).width == 64


def test_field_label_may_be_lazy() -> None:
    from django.utils.translation import gettext_lazy

    with pytest.raises(ValidationError) as caught:
        checks.inspect_image(b"", field_label=gettext_lazy("Business licence"), **LIMITS)
    assert rendered(caught.value).startswith("Business licence:")
