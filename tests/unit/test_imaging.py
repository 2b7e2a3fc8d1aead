"""ID-card composition and previews (filings.imaging): pure, no database."""

from __future__ import annotations

import io
import math

import pytest
from django.conf import settings
from PIL import Image, ImageChops, ImageOps, ImageStat, JpegImagePlugin

from filings import imaging
from filings.image_checks import inspect_image
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


def psnr(image: Image.Image, reference: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB of `image` against `reference` (same size)."""
    mode = "CMYK" if reference.mode == "CMYK" else "RGB"
    difference = ImageChops.difference(image.convert(mode), reference.convert(mode))
    squares = ImageStat.Stat(difference).sum2
    mse = sum(squares) / (len(squares) * image.width * image.height)
    return 10 * math.log10(255**2 / mse) if mse else math.inf


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


# --- strip_metadata: what is stored carries the picture and its ICC profile only ---------------


def upright(data: bytes) -> Image.Image:
    """What a viewer shows: the decoded source with its EXIF orientation applied."""
    image = ImageOps.exif_transpose(decoded(data))
    assert image is not None
    return image


def test_jpeg_loses_exif_gps_xmp_iptc_comments_and_trailing_bytes_keeps_icc() -> None:
    data = corpus.jpeg_with_metadata(80, 40, orientation=6)
    source = decoded(data)
    assert source.getexif().get_ifd(0x8825)  # the GPS position is really there

    clean = imaging.strip_metadata(data)

    corpus.assert_no_metadata(clean)
    assert corpus.jpeg_icc_profile(clean) == source.info["icc_profile"]
    image = decoded(clean)
    assert (image.format, image.mode) == ("JPEG", "RGB")
    # Orientation 6 applied: stored 80×40, shown (and now stored) 40×80 with the stored
    # top-left (red) quadrant at the top right.
    assert image.size == (40, 80)
    assert near(image.getpixel((30, 10)), corpus.RED)
    assert near(image.getpixel((10, 60)), corpus.BLUE)
    assert near(image.getpixel((10, 10)), corpus.WHITE)


def test_png_loses_text_exif_time_private_chunks_and_trailing_bytes_keeps_icc() -> None:
    data = corpus.png_with_metadata(80, 40, orientation=6)

    clean = imaging.strip_metadata(data)

    corpus.assert_no_metadata(clean)
    assert corpus.png_icc_profile(clean) == decoded(data).info["icc_profile"]
    image = decoded(clean)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (40, 80))
    assert image.tobytes() == upright(data).tobytes()  # lossless


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(orientation: int) -> None:
    data = corpus.jpeg_with_metadata(80, 40, orientation=orientation)
    expected = upright(data)

    image = decoded(imaging.strip_metadata(data))

    assert image.size == expected.size
    width, height = image.size
    for point in [(width // 4, height // 4), (3 * width // 4, 3 * height // 4)]:
        pixel = expected.getpixel(point)
        assert isinstance(pixel, tuple)
        assert near(image.getpixel(point), (pixel[0], pixel[1], pixel[2]), tolerance=24)


@pytest.mark.parametrize(
    "mode", ["RGB", "RGBA", "P", "L", "LA", "I;16"], ids=lambda mode: mode.replace(";", "")
)
def test_rotated_png_keeps_mode_and_pixels(mode: str) -> None:
    data = corpus.png_with_metadata(30, 20, mode=mode, orientation=8)

    image = decoded(imaging.strip_metadata(data))

    expected = upright(data)
    assert (image.mode, image.size) == (expected.mode, (20, 30))
    assert image.tobytes() == expected.tobytes()


def test_rotated_palette_png_keeps_its_transparency() -> None:
    source = decoded(corpus.palette_png_with_transparency())
    buffer = io.BytesIO()
    source.save(
        buffer, "PNG", transparency=source.info["transparency"], exif=corpus.exif_with_gps(6)
    )

    image = decoded(imaging.strip_metadata(buffer.getvalue()))

    assert image.mode == "P"
    assert image.info["transparency"] == source.info["transparency"]
    assert image.convert("RGBA").tobytes() == upright(buffer.getvalue()).convert("RGBA").tobytes()


def test_unrotated_jpeg_is_cleaned_without_touching_the_picture() -> None:
    """Orientation 1 (or none): the segments are dropped and the compressed picture is kept
    byte for byte, so nothing is lost to a second compression."""
    for orientation in (None, 1):
        data = corpus.jpeg_with_metadata(200, 120, orientation=orientation)

        clean = imaging.strip_metadata(data)

        corpus.assert_no_metadata(clean)
        assert decoded(clean).tobytes() == decoded(data).tobytes()
        scan = data.index(b"\xff\xda")
        assert clean.endswith(data[scan : data.rindex(b"\xff\xd9") + 2])


@pytest.mark.parametrize(
    ("subsampling", "kept"), [(0, 0), (1, 0), (2, 2)], ids=["4:4:4", "4:2:2", "4:2:0"]
)
def test_rotated_jpeg_keeps_quality_size_and_chroma_subsampling(
    subsampling: int, kept: int
) -> None:
    """Re-encoded with the source's own tables: as faithful as, and no bigger than, the upload.
    4:2:2 halves the colour width; turned, it is kept at full resolution (4:4:4)."""
    noise = Image.effect_noise((640, 480), 12).convert("RGB")
    photo = ImageChops.add(corpus.pattern_image(640, 480), noise, offset=-128)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, subsampling=subsampling, exif=corpus.exif_with_gps(6))
    source = buffer.getvalue()

    clean = imaging.strip_metadata(source)

    result = decoded(clean)
    assert result.size == (480, 640)
    assert JpegImagePlugin.get_sampling(result) == kept
    assert psnr(result, upright(source)) > 42
    assert len(clean) < len(source) * 1.1


def test_rotated_cmyk_and_grayscale_jpegs_keep_their_mode_and_colours() -> None:
    for mode in ("CMYK", "L"):
        data = corpus.jpeg_with_metadata(80, 40, mode=mode, orientation=6)
        image = decoded(imaging.strip_metadata(data))
        assert (image.mode, image.size) == (mode, (40, 80))
        assert psnr(image, upright(data)) > 35


@pytest.mark.parametrize("name", sorted(corpus.all_accepted_samples()))
def test_every_accepted_sample_comes_out_clean_and_passes_inspection(name: str) -> None:
    data = corpus.all_accepted_samples()[name]
    before = inspect_image(data, field_label="x", max_bytes=10**7, max_pixels=10**8)

    clean = imaging.strip_metadata(data)

    corpus.assert_no_metadata(clean)
    after = inspect_image(clean, field_label="x", max_bytes=10**7, max_pixels=10**8)
    assert (after.format, after.width, after.height) == (before.format, before.width, before.height)
    assert imaging.strip_metadata(clean) == clean


@pytest.mark.parametrize(
    "data",
    [
        corpus.jpeg_bytes(),
        corpus.jpeg_bytes(icc_profile=True),
        corpus.jpeg_bytes(mode="CMYK"),
        corpus.jpeg_bytes(progressive=True, noise=True),
        corpus.png_bytes(mode="RGBA"),
        corpus.palette_png_with_transparency(),
    ],
    ids=["jpeg", "jpeg-icc", "cmyk", "progressive", "png", "png-palette"],
)
def test_a_file_without_metadata_is_kept_byte_for_byte(data: bytes) -> None:
    assert imaging.strip_metadata(data) == data


def test_jfif_thumbnail_is_dropped() -> None:
    data = corpus.jpeg_bytes()
    thumbnail = bytes(3 * 2 * 2)
    app0 = b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x02\x02" + thumbnail
    with_thumbnail = data[:2] + b"\xff\xe0" + (len(app0) + 2).to_bytes(2, "big") + app0
    with_thumbnail += data[data.index(b"\xff", 4) :]

    corpus.assert_no_metadata(imaging.strip_metadata(with_thumbnail))


@pytest.mark.parametrize("bad", [b"", corpus.gif_bytes(), corpus.html_bytes()])
def test_strip_metadata_refuses_what_is_not_a_jpeg_or_png(bad: bytes) -> None:
    with pytest.raises(imaging.ImagingError):
        imaging.strip_metadata(bad)


def test_thumbnails_and_compositions_carry_no_comment() -> None:
    # Pillow copies a JPEG comment from the decoded image into what it writes.
    buffer = io.BytesIO()
    corpus.pattern_image(300, 200).save(buffer, "JPEG", comment=corpus.METADATA_SECRETS[2])
    for data in (buffer.getvalue(), corpus.jpeg_with_metadata()):
        corpus.assert_no_metadata(imaging.thumbnail_jpeg(data))
        corpus.assert_no_metadata(imaging.compose_id_card(data, corpus.png_with_metadata()))
