"""Display names and API names for uploaded files. Pure: no ORM, no network, no clock."""

import re
import unicodedata

FALLBACK_FILENAME = "upload"
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}\Z")
_JPEG_EXTENSIONS = {".jpg", ".jpeg"}
_WHITESPACE_CONTROLS = frozenset("\t\n\v\f\r\x85")


def _plain_name(name: str) -> str:
    """NFC, last path component, no control or format characters, single spaces."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        char
        for char in name
        if char in _WHITESPACE_CONTROLS or unicodedata.category(char) not in ("Cc", "Cf", "Cs")
    )
    return re.sub(r"\s+", " ", name).strip()


def _split_extension(name: str) -> tuple[str, str]:
    match = _EXTENSION.search(name)
    if match is None:
        return name, ""
    return name[: match.start()], match.group()


def _bound(stem: str, extension: str, max_length: int) -> str:
    room = max(max_length - len(extension), 0)
    stem = stem[:room].rstrip(" .")
    return f"{stem}{extension}" if stem else ""


def clean_filename(name: str, *, max_length: int = 120) -> str:
    """A safe display name: base name only, no control or bidi characters, bounded length."""
    # Leading dots would hide the file; trailing dots and spaces are dropped by Windows.
    cleaned = _plain_name(name).strip(" .")
    if len(cleaned) > max_length:
        stem, extension = _split_extension(cleaned)
        cleaned = _bound(stem, extension, max_length) or cleaned[:max_length].rstrip(" .")
    return cleaned or FALLBACK_FILENAME


_UNSAFE_IN_API_NAME = re.compile(r"""[<>:"/\\|?*'`$&;%#{}\[\]=!^~]""")


def api_filename(original: str, extension: str, *, max_length: int = 120) -> str:
    """The cleaned name of `original` with the extension of the detected type.

    It goes to Volcengine, whose systems we cannot vet: characters with a meaning in markup,
    shells or paths become "_" (letters, digits and CJK text stay).
    """
    extension = "." + extension.lower().lstrip(".")
    cleaned = _UNSAFE_IN_API_NAME.sub("_", clean_filename(original, max_length=max_length))
    stem, original_extension = _split_extension(cleaned)
    if original_extension.lower() == ".jpeg" and extension in _JPEG_EXTENSIONS:
        extension = ".jpeg"
    return _bound(stem, extension, max_length) or _bound(FALLBACK_FILENAME, extension, max_length)
