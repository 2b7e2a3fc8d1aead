"""Credit codes, uploaded images and file names (filings.validators): pure, no database."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image

from filings import validators as v
from tests import imagecorpus as corpus

VALID_CODES = ["91350100M000100Y43", "91110000600037341L", "91310115MA1K3BTP2B"]
API_DOC_EXAMPLE = "91330106MQBYDEKL12"
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
        v.inspect_image(data, field_label=FIELD, **(LIMITS | limits))
    return caught.value


# --- credit code ----------------------------------------------------------------------------


def test_weights_are_powers_of_three_mod_31() -> None:
    assert v.CREDIT_CODE_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", VALID_CODES)
def test_known_valid_codes_pass_both_checks(code: str) -> None:
    assert v.credit_code_check_character(code[:17]) == code[17]
    assert v.organization_code_check_character(code[8:16]) == code[16]
    assert v.validate_credit_code(code) == code
    v.credit_code_validator(code)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        ("  91110000600037341l\n", "91110000600037341L"),
        ("\u300091310115MA1K3BTP2B\t", "91310115MA1K3BTP2B"),
        ("９１３１０１１５ＭＡ１Ｋ３ＢＴＰ２Ｂ", "91310115MA1K3BTP2B"),
    ],
)
def test_lowercase_whitespace_and_full_width_are_normalised(raw: str, normalised: str) -> None:
    assert v.normalize_credit_code(raw) == normalised
    assert v.validate_credit_code(raw) == normalised


def _with_org_check_broken(code: str) -> str:
    """Change character 17 (the organisation-code check) and re-derive character 18, so only
    the embedded GB 11714 check fails."""
    wrong = next(c for c in "0123456789X" if c != code[16])
    first17 = code[:16] + wrong
    return first17 + v.credit_code_check_character(first17)


@pytest.mark.parametrize(
    ("value", "error_code", "says"),
    [
        (API_DOC_EXAMPLE, v.CREDIT_CODE_CHECK_ERROR, "18th character should be Y"),
        ("", v.CREDIT_CODE_LENGTH_ERROR, "exactly 18 characters; this one has 0"),
        ("91350100M000100Y4", v.CREDIT_CODE_LENGTH_ERROR, "this one has 17"),
        ("91350100M000100Y433", v.CREDIT_CODE_LENGTH_ERROR, "this one has 19"),
        ("91350100M0001 0Y43", v.CREDIT_CODE_CHARSET_ERROR, "“ ”"),
        ("91350100MO00100Y43", v.CREDIT_CODE_CHARSET_ERROR, "“O”"),
        ("91350100MI00100Y43", v.CREDIT_CODE_CHARSET_ERROR, "“I”"),
        ("91350100MZ00100S4V", v.CREDIT_CODE_CHARSET_ERROR, "“S”, “V”, “Z”"),
        ("91350100M000100Y44", v.CREDIT_CODE_CHECK_ERROR, "should be 3 for the first 17"),
        ("91350100M000100Y4-", v.CREDIT_CODE_CHARSET_ERROR, "“-”"),
        ("91110000600037341M", v.CREDIT_CODE_CHECK_ERROR, "but is M"),
        ("81310115MA1K3BTP2B", v.CREDIT_CODE_CHECK_ERROR, "18th character"),
    ]
    + [(_with_org_check_broken(c), v.CREDIT_CODE_ORG_CHECK_ERROR, "9 to 17") for c in VALID_CODES],
)
def test_invalid_codes_name_the_failed_check(value: str, error_code: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        v.validate_credit_code(value)
    assert caught.value.code == error_code
    assert says in rendered(caught.value)
    with pytest.raises(ValidationError):
        v.credit_code_validator(value)


def test_api_doc_example_fails_both_checks() -> None:
    assert v.credit_code_check_character(API_DOC_EXAMPLE[:17]) != API_DOC_EXAMPLE[17]
    assert v.organization_code_check_character(API_DOC_EXAMPLE[8:16]) != API_DOC_EXAMPLE[16]


@pytest.mark.parametrize("code", VALID_CODES)
def test_org_only_failure_really_has_a_correct_18th_character(code: str) -> None:
    broken = _with_org_check_broken(code)
    assert v.credit_code_check_character(broken[:17]) == broken[17]
    with pytest.raises(ValidationError) as caught:
        v.validate_credit_code(broken)
    assert caught.value.message is v.CREDIT_CODE_ORG_CHECK_MESSAGE
    assert "GB 11714" in rendered(caught.value)


def _random_valid_codes(count: int) -> Iterator[str]:
    rng = random.Random(32100)
    for _ in range(count):
        body = "".join(rng.choice(v.CREDIT_CODE_CHARSET) for _ in range(8))
        first17 = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + body
        first17 += v.organization_code_check_character(body)
        yield first17 + v.credit_code_check_character(first17)


@pytest.mark.parametrize("code", [*VALID_CODES, *_random_valid_codes(20)])
def test_every_single_character_typo_is_rejected(code: str) -> None:
    assert v.validate_credit_code(code) == code
    for position in range(18):
        for char in v.CREDIT_CODE_CHARSET:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1 :]
            with pytest.raises(ValidationError):
                v.validate_credit_code(typo)


def test_messages_are_importable_constants_with_their_codes() -> None:
    with pytest.raises(ValidationError) as caught:
        v.validate_credit_code("123")
    assert caught.value.message is v.CREDIT_CODE_LENGTH_MESSAGE
    assert caught.value.params == {"length": 3}


# --- images: accepted -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), corpus.all_accepted_samples().items())
def test_accepted_samples(name: str, data: bytes) -> None:
    info = v.inspect_image(data, field_label=FIELD, **LIMITS)
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
    info = v.inspect_image(
        corpus.jpeg_bytes(80, 30, exif_orientation=orientation), field_label=FIELD, **LIMITS
    )
    assert (info.width, info.height) == ((30, 80) if orientation >= 5 else (80, 30))


def test_png_exif_orientation_is_respected_too() -> None:
    info = v.inspect_image(
        corpus.png_bytes(80, 30, exif_orientation=8), field_label=FIELD, **LIMITS
    )
    assert (info.width, info.height) == (30, 80)


def test_image_info_is_frozen() -> None:
    info = v.inspect_image(corpus.png_bytes(), field_label=FIELD, **LIMITS)
    with pytest.raises(AttributeError):
        info.width = 1  # type: ignore[misc]


# --- images: rejected -----------------------------------------------------------------------

REJECTIONS: dict[str, tuple[str, str]] = {
    # sample name: (error code, words the message must contain to name the real type)
    "empty": (v.IMAGE_EMPTY, "empty"),
    "gif": (v.IMAGE_WRONG_TYPE, "GIF"),
    "webp": (v.IMAGE_WRONG_TYPE, "WebP"),
    "bmp": (v.IMAGE_WRONG_TYPE, "BMP"),
    "tiff": (v.IMAGE_WRONG_TYPE, "TIFF"),
    "heic": (v.IMAGE_WRONG_TYPE, "HEIC"),
    "svg": (v.IMAGE_WRONG_TYPE, "SVG"),
    "html": (v.IMAGE_WRONG_TYPE, "HTML"),
    "text": (v.IMAGE_WRONG_TYPE, "text"),
    "pdf": (v.IMAGE_WRONG_TYPE, "PDF"),
    "zip": (v.IMAGE_WRONG_TYPE, "ZIP"),
    "docx": (v.IMAGE_WRONG_TYPE, "DOCX"),
    "elf": (v.IMAGE_WRONG_TYPE, "ELF executable"),
    "pe": (v.IMAGE_WRONG_TYPE, "Windows executable"),
    "truncated_jpeg": (v.IMAGE_CORRUPT, "JPEG image but cannot be read completely"),
    "truncated_png": (v.IMAGE_CORRUPT, "PNG image but cannot be read completely"),
    "png_bad_crc": (v.IMAGE_CORRUPT, "PNG image but cannot be read completely"),
    "jpeg_without_eoi": (v.IMAGE_CORRUPT, "JPEG image but cannot be read completely"),
    "animated_png": (v.IMAGE_MULTI_FRAME, "2 pictures"),
    "mpo": (v.IMAGE_MULTI_FRAME, "2 pictures"),
    "huge_png": (v.IMAGE_TOO_MANY_PIXELS, "30000 × 30000"),
    "huge_jpeg": (v.IMAGE_TOO_MANY_PIXELS, "30000 × 30000"),
    "polyglot_jpeg_zip": (
        v.IMAGE_TRAILING_DATA,
        "after the end of the JPEG image, and that data is a ZIP archive",
    ),
    "polyglot_jpeg_html": (v.IMAGE_TRAILING_DATA, "that data is an HTML page"),
    "polyglot_png_zip": (v.IMAGE_TRAILING_DATA, "after the end of the PNG image"),
    "jpeg_without_eoi_html": (v.IMAGE_CORRUPT, "it contains HTML"),
    "html_with_jpeg_header": (
        v.IMAGE_CORRUPT,
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
    assert v.sniff_type(data) == kind
    assert kind in v.KIND_LABELS


def test_unknown_type_is_called_unknown() -> None:
    error = reject(b"\x00\x01\x02\x03 not anything")
    assert error.code == v.IMAGE_WRONG_TYPE
    assert "unknown" in rendered(error)


def test_the_name_never_matters_only_the_bytes() -> None:
    # There is no name parameter at all; a GIF is a GIF whatever it was called.
    assert reject(corpus.gif_bytes()).params["kind"] is v.KIND_LABELS["gif"]  # type: ignore[index]


def test_too_large_states_the_limit_in_mb() -> None:
    data = b"\xff\xd8\xff" + bytes(2 * 1024 * 1024 - 2)
    error = reject(data, max_bytes=2 * 1024 * 1024)
    assert error.code == v.IMAGE_TOO_LARGE
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
        v.check_file_size(size, field_label=FIELD, max_bytes=10 * 1024 * 1024)
    assert caught.value.code == v.IMAGE_TOO_LARGE
    assert rendered(caught.value) == (
        f"{FIELD}: the file is {says}, more than the limit of 10 MB. "
        "Reduce the image's resolution or quality and upload it again."
    )
    v.check_file_size(10 * 1024 * 1024, field_label=FIELD, max_bytes=10 * 1024 * 1024)


def test_too_large_is_decided_before_anything_is_parsed() -> None:
    error = reject(corpus.gif_bytes(), max_bytes=10)
    assert error.code == v.IMAGE_TOO_LARGE


def test_too_many_pixels_names_the_size_and_limit() -> None:
    error = reject(corpus.png_bytes(64, 48), max_pixels=3000)
    assert error.code == v.IMAGE_TOO_MANY_PIXELS
    assert "64 × 48 pixels, more than the limit of 0.003 megapixels" in rendered(error)
    assert v.inspect_image(
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
    assert reject(data, max_pixels=10_000_000).code == v.IMAGE_TOO_MANY_PIXELS
    assert reject(data, max_pixels=30_000_000).code == v.IMAGE_CORRUPT


def test_pillow_bomb_limit_caps_a_generous_setting() -> None:
    error = reject(corpus.png_with_claimed_size(30000, 30000), max_pixels=10**12)
    assert error.code == v.IMAGE_TOO_MANY_PIXELS
    assert Image.MAX_IMAGE_PIXELS is not None
    assert f"{round(Image.MAX_IMAGE_PIXELS / 1_000_000, 1):g} megapixels" in rendered(error)


def test_pillow_bomb_errors_are_reported_as_too_many_pixels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Should the header scan ever miss the size, Pillow's guard (warnings made errors) holds.
    monkeypatch.setattr(v, "_scan_png", lambda data: (None, None))
    for pillow_limit in (20_000_000, 10_000_000):  # 25 MP: a warning, then an error
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
        error = reject(corpus.png_with_claimed_size(5000, 5000), max_pixels=10**12)
        assert error.code == v.IMAGE_TOO_MANY_PIXELS
        assert f"limit of {pillow_limit // 1_000_000} megapixels" in rendered(error)


@pytest.mark.parametrize(
    ("trailing", "accepted"),
    [
        (bytes(100_000), True),  # zero padding, however long
        (b"\r\n \t" * 50, True),
        (b"Image_UTC_Data1700000000000SEFH", True),  # a short camera trailer
        (random.Random(1).randbytes(v.TRAILING_BYTES_ALLOWED), True),
        (random.Random(2).randbytes(v.TRAILING_BYTES_ALLOWED + 1), False),
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
            assert v.inspect_image(data, field_label=FIELD, **LIMITS).size == len(data)
        else:
            error = reject(data)
            assert error.code == v.IMAGE_TRAILING_DATA
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
    assert v.inspect_image(data, field_label=FIELD, **LIMITS).width == 64


def test_field_label_may_be_lazy() -> None:
    from django.utils.translation import gettext_lazy

    with pytest.raises(ValidationError) as caught:
        v.inspect_image(b"", field_label=gettext_lazy("Business licence"), **LIMITS)
    assert rendered(caught.value).startswith("Business licence:")


# --- file names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("营业执照.jpg", "营业执照.jpg"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\x\\a.png", "a.png"),
        ("C:\\Users\\张三\\Desktop\\身份证 正面.jpeg", "身份证 正面.jpeg"),
        ("/srv/uploads/", "upload"),
        ("a\x00b\x1f\x7f.png", "ab.png"),
        ("line\nbreak\r.jpg", "line break .jpg"),
        ("para\u2029graph\x85.jpg", "para graph .jpg"),
        ("exe.gpj\u202e.jpg", "exe.gpj.jpg"),
        ("\u202eexe.gpj", "exe.gpj"),
        ("x\u2066y\u2069z\u200f\ufeff.png", "xyz.png"),
        ("  many   spaces\t\there .png ", "many spaces here .png"),
        ("全角\u3000\u3000空格.png", "全角 空格.png"),
        ("..hidden.png", "hidden.png"),
        ("...", "upload"),
        ("", "upload"),
        ("   ", "upload"),
        ("\x00\u202e", "upload"),
        ("trailing dots...", "trailing dots"),
        ("e\u0301.png", "\u00e9.png"),  # NFC
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert v.clean_filename(raw) == clean


def test_long_names_are_bounded_keeping_the_extension() -> None:
    cleaned = v.clean_filename("长" * 500 + ".jpeg")
    assert len(cleaned) == 120
    assert cleaned.endswith("长.jpeg")
    assert v.clean_filename("x" * 30 + ".png", max_length=20) == "x" * 16 + ".png"
    assert v.clean_filename("y" * 300) == "y" * 120


@pytest.mark.parametrize(
    ("original", "extension", "expected"),
    [
        ("营业执照.png", "jpg", "营业执照.jpg"),
        ("营业执照.jpg", "jpg", "营业执照.jpg"),
        ("scan.jpeg", "jpg", "scan.jpeg"),
        ("scan.JPEG", "jpg", "scan.jpeg"),
        ("scan.JPG", "jpg", "scan.jpg"),
        ("scan.jpeg", "png", "scan.png"),
        ("photo.heic", "jpg", "photo.jpg"),
        ("license", "png", "license.png"),
        ("../../etc/passwd", "png", "passwd.png"),
        ("exe.gpj\u202e.jpg", "png", "exe.gpj.png"),
        ("", "jpg", "upload.jpg"),
        ("...", "png", "upload.png"),
        ("a.b.c.png", "jpg", "a.b.c.jpg"),
    ],
)
def test_api_filename_ends_with_the_detected_extension(
    original: str, extension: str, expected: str
) -> None:
    assert v.api_filename(original, extension) == expected


def test_api_filename_is_bounded() -> None:
    name = v.api_filename("长" * 500 + ".png", "jpg")
    assert len(name) == 120
    assert name.endswith("长.jpg")
