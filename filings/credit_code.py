"""Unified social credit codes (GB 32100-2015). Pure: no ORM, no network, no clock."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_LENGTH = 18
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

CREDIT_CODE_LENGTH_ERROR = "credit_code_length"
CREDIT_CODE_CHARSET_ERROR = "credit_code_charset"
CREDIT_CODE_CHECK_ERROR = "credit_code_check_character"
CREDIT_CODE_ORG_CHECK_ERROR = "credit_code_organization_code"

CREDIT_CODE_LENGTH_MESSAGE = _(
    "The unified social credit code must be exactly 18 characters; this one has %(length)s. "
    "Copy it again from the business licence."
)
CREDIT_CODE_CHARSET_MESSAGE = _(
    "The unified social credit code contains %(chars)s, which cannot appear in a valid code "
    "(only digits and the capital letters ABCDEFGHJKLMNPQRTUWXY are used; never I, O, S, V "
    "or Z). Check the code against the business licence."
)
CREDIT_CODE_CHECK_MESSAGE = _(
    "The unified social credit code fails its check: the 18th character should be "
    "%(expected)s for the first 17 characters given, but is %(actual)s. One of the 18 "
    "characters is probably mistyped; compare each one with the business licence."
)
CREDIT_CODE_ORG_CHECK_MESSAGE = _(
    "The organisation code inside the unified social credit code (characters 9 to 17) fails "
    "its GB 11714 check: the 17th character should be %(expected)s, but is %(actual)s. "
    "Compare characters 9 to 17 with the business licence."
)


def normalize_credit_code(value: str) -> str:
    """Return the code without surrounding whitespace, full-width forms folded, upper-cased."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def credit_code_check_character(first17: str) -> str:
    """The 18th character GB 32100 requires after `first17` (which must use the charset)."""
    total = sum(
        CREDIT_CODE_CHARSET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def organization_code_check_character(body: str) -> str:
    """The GB 11714 check character for an 8-character organisation-code body."""
    total = sum(int(char, 36) * weight for char, weight in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(value: str) -> str:
    """Return the normalised code, or raise ValidationError naming the failed check."""
    code = normalize_credit_code(value)
    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            CREDIT_CODE_LENGTH_MESSAGE, code=CREDIT_CODE_LENGTH_ERROR, params={"length": len(code)}
        )
    bad = sorted({char for char in code if char not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationError(
            CREDIT_CODE_CHARSET_MESSAGE,
            code=CREDIT_CODE_CHARSET_ERROR,
            params={"chars": ", ".join(f"“{char}”" for char in bad)},
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            CREDIT_CODE_CHECK_MESSAGE,
            code=CREDIT_CODE_CHECK_ERROR,
            params={"expected": expected, "actual": code[17]},
        )
    expected = organization_code_check_character(code[8:16])
    if code[16] != expected:
        raise ValidationError(
            CREDIT_CODE_ORG_CHECK_MESSAGE,
            code=CREDIT_CODE_ORG_CHECK_ERROR,
            params={"expected": expected, "actual": code[16]},
        )
    return code


def credit_code_validator(value: str) -> None:
    """Model/form field validator; the field itself should store `normalize_credit_code`."""
    validate_credit_code(value)
