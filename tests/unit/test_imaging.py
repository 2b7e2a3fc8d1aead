"""ID-card composition and previews (filings.imaging): pure, no database."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from PIL import Image

from filings import imaging
from filings.validators import inspect_image
from tests import imagecorpus as corpus


@pytest.fixture(autouse=True, scope="module")
def _settings_for_messages() -> None:
    if not settings.configured:
        settings.configure(USE_I18N=False)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: object, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_composition_is_one_jpeg_front_above_back() -> None:
    front = corpus.jpeg_bytes(400, 250)
    back = corpus.png_bytes(200, 100)
    result = imaging.compose_id_card(front, back, width=800)
    image = decoded(result)
    assert result.startswith(b"\xff\xd8\xff")
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (800, 500 + imaging.ID_CARD_GAP + 400)
    # Front: red top-left quadrant at the top; the gap is white; back starts below it.
    assert near(image.getpixel((100, 100)), corpus.RED)
    assert near(image.getpixel((400, 500 + imaging.ID_CARD_GAP // 2)), corpus.WHITE)
    assert near(image.getpixel((100, 500 + imaging.ID_CARD_GAP + 100)), corpus.RED)
    assert near(image.getpixel((700, 500 + imaging.ID_CARD_GAP + 350)), corpus.BLUE)


def test_default_width_and_gap() -> None:
    image = decoded(imaging.compose_id_card(corpus.jpeg_bytes(856, 540), corpus.jpeg_bytes()))
    assert image.width == 1200
    assert image.height == round(540 * 1200 / 856) + imaging.ID_CARD_GAP + 900


def test_custom_gap() -> None:
    image = decoded(
        imaging.compose_id_card(corpus.jpeg_bytes(), corpus.jpeg_bytes(), width=64, gap=0)
    )
    assert image.size == (64, 96)


def test_exif_rotated_front_is_turned_upright() -> None:
    # Stored 80×40 with orientation 6 ("rotate 90° clockwise to view"): shown 40×80, and the
    # stored top-left (red) quadrant ends up top-right.
    front = corpus.jpeg_bytes(80, 40, exif_orientation=6)
    back = corpus.jpeg_bytes(80, 40)
    image = decoded(imaging.compose_id_card(front, back, width=400))
    front_height = 800
    assert image.size == (400, front_height + imaging.ID_CARD_GAP + 200)
    assert near(image.getpixel((300, 200)), corpus.RED)
    assert near(image.getpixel((100, 600)), corpus.BLUE)
    assert near(image.getpixel((100, 200)), corpus.WHITE)


@pytest.mark.parametrize(
    "side",
    [
        corpus.jpeg_bytes(mode="CMYK"),
        corpus.jpeg_bytes(mode="L"),
        corpus.jpeg_bytes(progressive=True),
        corpus.jpeg_bytes(icc_profile=True),
        corpus.png_bytes(mode="RGBA"),
        corpus.png_bytes(mode="P"),
        corpus.png_bytes(mode="L"),
        corpus.png_bytes(mode="LA"),
        corpus.png_bytes(mode="I;16"),
        corpus.palette_png_with_transparency(),
    ],
    ids=[
        "cmyk",
        "gray",
        "progressive",
        "icc",
        "rgba",
        "palette",
        "png-gray",
        "la",
        "16-bit",
        "palette-transparent",
    ],
)
def test_every_accepted_mode_composes_to_rgb(side: bytes) -> None:
    image = decoded(imaging.compose_id_card(side, side, width=128))
    assert image.mode == "RGB"
    assert image.size == (128, 96 + imaging.ID_CARD_GAP + 96)
    assert near(image.getpixel((120, 10)), corpus.WHITE)
    bottom_right = image.getpixel((120, 90))
    assert isinstance(bottom_right, tuple)
    assert sum(bottom_right) < 400  # blue, or its grey in the greyscale variants


def test_cmyk_colours_survive() -> None:
    image = decoded(imaging.compose_id_card(corpus.jpeg_bytes(mode="CMYK"), corpus.jpeg_bytes()))
    assert near(image.getpixel((100, 100)), corpus.RED, tolerance=60)


def test_alpha_is_flattened_on_white() -> None:
    # The RGBA pattern's alpha runs from 0 (top row) to 255 (bottom row).
    image = decoded(imaging.compose_id_card(corpus.png_bytes(mode="RGBA"), corpus.jpeg_bytes()))
    assert near(image.getpixel((10, 0)), corpus.WHITE)
    assert near(image.getpixel((1190, 895)), corpus.BLUE, tolerance=60)


def test_transparent_palette_entry_becomes_white() -> None:
    image = decoded(
        imaging.compose_id_card(corpus.palette_png_with_transparency(), corpus.jpeg_bytes())
    )
    assert near(image.getpixel((1190, 10)), corpus.WHITE)


def test_metadata_is_stripped() -> None:
    front = corpus.jpeg_bytes(exif_orientation=6, icc_profile=True)
    image = decoded(imaging.compose_id_card(front, front))
    assert not image.getexif()
    assert "icc_profile" not in image.info
    assert "exif" not in image.info


def test_quality_steps_down_to_fit_max_bytes() -> None:
    front = corpus.jpeg_bytes(600, 400, noise=True)
    back = corpus.jpeg_bytes(600, 400, noise=True)
    unconstrained = imaging.compose_id_card(front, back)
    limit = len(unconstrained) * 2 // 3
    smaller = imaging.compose_id_card(front, back, max_bytes=limit)
    assert len(smaller) <= limit
    assert decoded(smaller).size == decoded(unconstrained).size


def test_impossible_size_limit_raises() -> None:
    with pytest.raises(imaging.ImagingError, match="over the limit of 100 bytes"):
        imaging.compose_id_card(corpus.jpeg_bytes(), corpus.jpeg_bytes(), max_bytes=100)


@pytest.mark.parametrize(
    "bad", [b"", corpus.gif_bytes(), corpus.truncated_jpeg(), corpus.html_bytes()]
)
def test_undecodable_input_raises_imaging_error(bad: bytes) -> None:
    with pytest.raises(imaging.ImagingError):
        imaging.compose_id_card(corpus.jpeg_bytes(), bad)
    with pytest.raises(imaging.ImagingError):
        imaging.thumbnail_jpeg(bad)


def test_bad_width_raises() -> None:
    with pytest.raises(imaging.ImagingError):
        imaging.compose_id_card(corpus.jpeg_bytes(), corpus.jpeg_bytes(), width=0)


def test_composed_image_passes_inspection() -> None:
    result = imaging.compose_id_card(corpus.jpeg_bytes(), corpus.png_bytes(mode="RGBA"))
    info = inspect_image(result, field_label="ID card", max_bytes=5_000_000, max_pixels=10**7)
    assert (info.format, info.width) == ("JPEG", 1200)


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (corpus.jpeg_bytes(1000, 500), (240, 120)),
        (corpus.jpeg_bytes(1000, 500, exif_orientation=6), (120, 240)),
        (corpus.jpeg_bytes(1000, 500, mode="CMYK"), (240, 120)),
        (corpus.png_bytes(300, 600, mode="RGBA"), (120, 240)),
        (corpus.png_bytes(100, 50, mode="P"), (100, 50)),  # never enlarged
    ],
)
def test_thumbnail(data: bytes, size: tuple[int, int]) -> None:
    image = decoded(imaging.thumbnail_jpeg(data))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", size)
    assert not image.getexif()


def test_thumbnail_box_and_orientation() -> None:
    image = decoded(imaging.thumbnail_jpeg(corpus.jpeg_bytes(800, 400, exif_orientation=6), box=64))
    assert image.size == (32, 64)
    assert near(image.getpixel((24, 8)), corpus.RED)
