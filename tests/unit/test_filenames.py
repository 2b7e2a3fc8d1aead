"""Display and API names of uploaded files (filings.filenames): pure, no database."""

import pytest

from filings import filenames


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
    assert filenames.clean_filename(raw) == clean


def test_long_names_are_bounded_keeping_the_extension() -> None:
    cleaned = filenames.clean_filename("长" * 500 + ".jpeg")
    assert len(cleaned) == 120
    assert cleaned.endswith("长.jpeg")
    assert filenames.clean_filename("x" * 30 + ".png", max_length=20) == "x" * 16 + ".png"
    assert filenames.clean_filename("y" * 300) == "y" * 120


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
    assert filenames.api_filename(original, extension) == expected


def test_api_filename_is_bounded() -> None:
    name = filenames.api_filename("长" * 500 + ".png", "jpg")
    assert len(name) == 120
    assert name.endswith("长.jpg")
