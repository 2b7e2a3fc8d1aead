"""Mainland China phone numbers from pasted lists. Pure: no ORM, no I/O, no clock."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import phonenumbers
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumberDesc,
    PhoneNumberFormat,
    PhoneNumberType,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

REGION = "CN"
MAX_ITEMS = 10_000
MAX_ITEM_CHARS = 40
# A whitespace-separated token with at least this many digits can be a number on its own.
MIN_DIGITS_ALONE = 7

EMPTY = _("no number given")
NOT_A_PHONE_NUMBER = _("not a phone number")
LETTERS = _("contains letters or symbols that are not part of a phone number")
NOT_MAINLAND = _("not a mainland China number")
TOO_SHORT = _("too short")
TOO_LONG = _("too long")
SERVICE_400_800 = _("a 400/800 service number cannot place calls")
SHORT_CODE = _("a short service number (such as 95588 or 12345) cannot place calls")
NOT_MOBILE_OR_FIXED = _("not a mobile or fixed-line number")
NEEDS_AREA_CODE = _("fixed-line numbers need their area code (for example 0571-88886666)")
EXTENSION = _("an extension cannot be filed: give the line's own number")
NOT_IN_USE = _("not a valid mainland China number: check the digits")
DUPLICATE = _("duplicate of line {line}")
TOO_MANY_ITEMS = _(
    "The list has more than {max_items} numbers. Split it into lists of at most {max_items} "
    "numbers and add them one after the other."
)

ACCEPTED_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_SERVICE_TYPES = frozenset({PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST})
_PARSE_ERROR_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: NOT_MAINLAND,
    NumberParseException.TOO_SHORT_AFTER_IDD: TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: TOO_SHORT,
    NumberParseException.TOO_LONG: TOO_LONG,
}


# Between the items of a line: commas, semicolons (ASCII and full-width), 、 and tabs.
_HARD_SEPARATORS = re.compile(r"[,;\t、，；]")
# After NFKC folding: ASCII digits, whitespace, and the punctuation people write in numbers.
_NUMBER_CHARACTERS = re.compile(r"[0-9\s+().\-‐‑–—−/\[\]]+")
_EXTENSION_SUFFIX = re.compile(r"(?:ext\.?|x|#|转|分机)\s*[0-9]+$", re.IGNORECASE)
# Spacing removed: a mobile with an optional country code, or a fixed line after its trunk 0
# or after +86/0086 (an 86 without + or 00 could be the start of a fixed line's digits).
_PLAIN_NUMBER = re.compile(
    r"(?:\+86|0086|86)?(1[3-9][0-9]{9})|(?:(?:\+86|0086)0?|0)([1-9][0-9]{8,10})"
)
_PLAIN_SPACING = str.maketrans("", "", " -()")


def _china_metadata() -> PhoneMetadata:
    metadata = PhoneMetadata.metadata_for_region(REGION)
    if metadata is None:
        raise ImportError(f"phonenumbers has no metadata for {REGION}")
    return metadata


_CN = _china_metadata()
# The types phonenumbers tries before fixed line and mobile, in its order.
_TYPES_BEFORE_FIXED_LINE = (
    (PhoneNumberType.PREMIUM_RATE, _CN.premium_rate),
    (PhoneNumberType.TOLL_FREE, _CN.toll_free),
    (PhoneNumberType.SHARED_COST, _CN.shared_cost),
    (PhoneNumberType.VOIP, _CN.voip),
    (PhoneNumberType.PERSONAL_NUMBER, _CN.personal_number),
    (PhoneNumberType.PAGER, _CN.pager),
    (PhoneNumberType.UAN, _CN.uan),
    (PhoneNumberType.VOICEMAIL, _CN.voicemail),
)


class InvalidNumber(ValueError):
    """A text that is not a mainland China mobile or fixed-line number; `reason` says why."""

    def __init__(self, reason: StrOrPromise) -> None:
        super().__init__(reason)
        self.reason = reason


class ListTooLong(ValueError):
    """A list of more than MAX_ITEMS items; `reason` says what to do."""

    def __init__(self) -> None:
        self.reason = format_lazy(TOO_MANY_ITEMS, max_items=f"{MAX_ITEMS:,}")
        super().__init__(self.reason)


@dataclass(frozen=True)
class NumberEntry:
    """One item of a list: its line, the text as written, its digits and why it was refused."""

    line: int
    text: str
    digits: str | None = None
    reason: StrOrPromise | None = None

    @property
    def is_accepted(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class NumberReport:
    """Every item of a list in order; accepted numbers are unique."""

    lines: tuple[NumberEntry, ...] = ()

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(entry.digits for entry in self.lines if entry.digits and entry.is_accepted)

    @property
    def refused(self) -> tuple[NumberEntry, ...]:
        return tuple(entry for entry in self.lines if not entry.is_accepted)


def normalise(text: str) -> str:
    """National digits of a mobile or fixed-line number (`13812345678`, `057188886666`).

    The digits are those of phonenumbers' NATIONAL format: a mobile without prefix, a fixed
    line with its trunk 0 and area code. Raises InvalidNumber saying why otherwise.
    """
    if len(text) > MAX_ITEM_CHARS:
        raise InvalidNumber(NOT_A_PHONE_NUMBER)
    folded = unicodedata.normalize("NFKC", text).strip()
    return _plain_number(folded) or _normalise_with_library(folded)


def split_list(text: str) -> list[tuple[int, str]]:
    """The items of a pasted list, each with its 1-based line number.

    A line is cut at commas, semicolons (ASCII or full-width), 、 and tabs. A piece between
    those is cut at runs of whitespace only when every whitespace-separated token has at least
    MIN_DIGITS_ALONE digits, i.e. could be a number on its own: `13812345678 13912345678` is two
    items, while `138 1234 5678`, `+86 138-1234-5678`, `0571 8888 6666` and `(0571) 88886666`
    stay one. So a piece mixing a spaced-out number with others (`0571 8888 6666 13812345678`)
    stays one item and is refused; such lists need commas or one number a line.
    """
    return list(_iter_items(text))


def parse_list(text: str) -> NumberReport:
    """Every item of a pasted list with its verdict; raises ListTooLong past MAX_ITEMS items."""
    return report_items(_iter_items(text))


def report_items(items: Iterable[tuple[int, str]]) -> NumberReport:
    """Judge `(line, text)` items in order; a repeated number is refused naming its first line.

    Raises ListTooLong on the item after MAX_ITEMS, before judging the rest.
    """
    first_lines: dict[str, int] = {}
    entries: list[NumberEntry] = []
    for count, (line, text) in enumerate(items, start=1):
        if count > MAX_ITEMS:
            raise ListTooLong
        entries.append(_judge(line, text, first_lines))
    return NumberReport(tuple(entries))


def _judge(line: int, text: str, first_lines: dict[str, int]) -> NumberEntry:
    try:
        digits = normalise(text)
    except InvalidNumber as refusal:
        return NumberEntry(line, text, reason=refusal.reason)
    if digits in first_lines:
        return NumberEntry(line, text, digits, format_lazy(DUPLICATE, line=first_lines[digits]))
    first_lines[digits] = line
    return NumberEntry(line, text, digits)


def _iter_items(text: str) -> Iterator[tuple[int, str]]:
    for line_number, line in enumerate(text.splitlines(), start=1):
        for piece in _HARD_SEPARATORS.split(line):
            tokens = piece.split()
            if len(tokens) > 1 and all(_digit_count(token) >= MIN_DIGITS_ALONE for token in tokens):
                yield from ((line_number, token) for token in tokens)
            elif tokens:
                yield line_number, piece.strip()


def _digit_count(token: str) -> int:
    return sum(char.isdecimal() for char in token)


def _plain_number(folded: str) -> str | None:
    """The national digits of a plainly written mobile or fixed line, or None.

    A shortcut past phonenumbers.parse for the common forms (`13812345678`, `+86 138-1234-5678`,
    `0571-8888 6666`, `(010) 12345678`, `+86 21 6123 4567`) that answers exactly as the long
    way does; None sends the text the long way, which also names the reason for a refusal.
    """
    match = _PLAIN_NUMBER.fullmatch(folded.translate(_PLAIN_SPACING))
    if match is None:
        return None
    mobile, fixed_line = match.groups()
    if mobile is not None:
        return mobile if _number_type(mobile) == PhoneNumberType.MOBILE else None
    return "0" + fixed_line if _number_type(fixed_line) == PhoneNumberType.FIXED_LINE else None


def _number_type(nsn: str) -> int:
    """phonenumbers.number_type of a +86 national significant number: the library's own
    metadata tried in the library's order, without its per-call lookups."""
    if not _matches(_CN.general_desc, nsn):
        return PhoneNumberType.UNKNOWN
    for kind, desc in _TYPES_BEFORE_FIXED_LINE:
        if _matches(desc, nsn):
            return kind
    is_mobile = _matches(_CN.mobile, nsn)
    if _matches(_CN.fixed_line, nsn):
        if _CN.same_mobile_and_fixed_line_pattern or is_mobile:
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if is_mobile and not _CN.same_mobile_and_fixed_line_pattern:
        return PhoneNumberType.MOBILE
    return PhoneNumberType.UNKNOWN


def _matches(desc: PhoneNumberDesc | None, nsn: str) -> bool:
    if desc is None or not desc.national_number_pattern:
        return False
    if desc.possible_length and len(nsn) not in desc.possible_length:
        return False
    return _compiled(desc.national_number_pattern).fullmatch(nsn) is not None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _normalise_with_library(folded: str) -> str:
    if not folded:
        raise InvalidNumber(EMPTY)
    if _EXTENSION_SUFFIX.search(folded):
        raise InvalidNumber(EXTENSION)
    if not _NUMBER_CHARACTERS.fullmatch(folded):
        raise InvalidNumber(LETTERS)
    try:
        number = phonenumbers.parse(folded, REGION)
    except NumberParseException as error:
        raise InvalidNumber(_parse_error_reason(error, folded)) from None
    if number.country_code != 86:
        raise InvalidNumber(NOT_MAINLAND)
    if number.extension:
        raise InvalidNumber(EXTENSION)
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(_invalid_reason(number))
    kind = phonenumbers.number_type(number)
    if kind not in ACCEPTED_TYPES:
        nsn = phonenumbers.national_significant_number(number)
        is_400_800 = kind in _SERVICE_TYPES and nsn.startswith(("400", "800"))
        raise InvalidNumber(SERVICE_400_800 if is_400_800 else NOT_MOBILE_OR_FIXED)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return "".join(char for char in national if char.isdigit())


def _parse_error_reason(error: NumberParseException, folded: str) -> StrOrPromise:
    if error.error_type == NumberParseException.NOT_A_NUMBER and not any(
        char.isdigit() for char in folded
    ):
        return NOT_A_PHONE_NUMBER
    return _PARSE_ERROR_REASONS.get(error.error_type, TOO_SHORT)


def _invalid_reason(number: phonenumbers.PhoneNumber) -> StrOrPromise:
    """The likeliest reason a +86 number the library calls invalid was written wrongly."""
    nsn = phonenumbers.national_significant_number(number)
    if _looks_like_service_code(number, nsn):
        return SHORT_CODE
    if 7 <= len(nsn) <= 8 and nsn[0] in "2345678":
        return NEEDS_AREA_CODE
    if nsn[0] == "1" and not nsn.startswith("10"):
        # Mobile numbers have exactly 11 digits.
        if len(nsn) != 11:
            return TOO_SHORT if len(nsn) < 11 else TOO_LONG
        return NOT_IN_USE
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible == phonenumbers.ValidationResult.TOO_SHORT or len(nsn) < 9:
        return TOO_SHORT
    if possible == phonenumbers.ValidationResult.TOO_LONG or len(nsn) > 11:
        return TOO_LONG
    return NOT_IN_USE


def _looks_like_service_code(number: phonenumbers.PhoneNumber, nsn: str) -> bool:
    # The library's short codes (110, 12345, 10086, 95588) and the longer 95/96 service numbers.
    if phonenumbers.is_valid_short_number_for_region(number, REGION):
        return True
    return nsn[:2] in ("95", "96") and len(nsn) <= 8
