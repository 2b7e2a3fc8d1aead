"""Unified social credit codes (filings.credit_code): pure, no database."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from filings import credit_code as cc

VALID_CODES = ["91350100M000100Y43", "91110000600037341L", "91310115MA1K3BTP2B"]
API_DOC_EXAMPLE = "91330106MQBYDEKL12"


@pytest.fixture(autouse=True, scope="module")
def _settings_for_messages() -> None:
    # Lazy messages need settings only when rendered; under pytest-django they already exist.
    if not settings.configured:
        settings.configure(USE_I18N=False)


def rendered(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


def test_weights_are_powers_of_three_mod_31() -> None:
    assert cc.CREDIT_CODE_WEIGHTS == (
        1,
        3,
        9,
        27,
        19,
        26,
        16,
        17,
        20,
        29,
        25,
        13,
        8,
        24,
        10,
        30,
        28,
    )


@pytest.mark.parametrize("code", VALID_CODES)
def test_known_valid_codes_pass_both_checks(code: str) -> None:
    assert cc.credit_code_check_character(code[:17]) == code[17]
    assert cc.organization_code_check_character(code[8:16]) == code[16]
    assert cc.validate_credit_code(code) == code
    cc.credit_code_validator(code)


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
    assert cc.normalize_credit_code(raw) == normalised
    assert cc.validate_credit_code(raw) == normalised


def _with_org_check_broken(code: str) -> str:
    """Change character 17 (the organisation-code check) and re-derive character 18, so only
    the embedded GB 11714 check fails."""
    wrong = next(c for c in "0123456789X" if c != code[16])
    first17 = code[:16] + wrong
    return first17 + cc.credit_code_check_character(first17)


@pytest.mark.parametrize(
    ("value", "error_code", "says"),
    [
        (API_DOC_EXAMPLE, cc.CREDIT_CODE_CHECK_ERROR, "18th character should be Y"),
        ("", cc.CREDIT_CODE_LENGTH_ERROR, "exactly 18 characters; this one has 0"),
        ("91350100M000100Y4", cc.CREDIT_CODE_LENGTH_ERROR, "this one has 17"),
        ("91350100M000100Y433", cc.CREDIT_CODE_LENGTH_ERROR, "this one has 19"),
        ("91350100M0001 0Y43", cc.CREDIT_CODE_CHARSET_ERROR, "“ ”"),
        ("91350100MO00100Y43", cc.CREDIT_CODE_CHARSET_ERROR, "“O”"),
        ("91350100MI00100Y43", cc.CREDIT_CODE_CHARSET_ERROR, "“I”"),
        ("91350100MZ00100S4V", cc.CREDIT_CODE_CHARSET_ERROR, "“S”, “V”, “Z”"),
        ("91350100M000100Y44", cc.CREDIT_CODE_CHECK_ERROR, "should be 3 for the first 17"),
        ("91350100M000100Y4-", cc.CREDIT_CODE_CHARSET_ERROR, "“-”"),
        ("91110000600037341M", cc.CREDIT_CODE_CHECK_ERROR, "but is M"),
        ("81310115MA1K3BTP2B", cc.CREDIT_CODE_CHECK_ERROR, "18th character"),
    ]
    + [(_with_org_check_broken(c), cc.CREDIT_CODE_ORG_CHECK_ERROR, "9 to 17") for c in VALID_CODES],
)
def test_invalid_codes_name_the_failed_check(value: str, error_code: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        cc.validate_credit_code(value)
    assert caught.value.code == error_code
    assert says in rendered(caught.value)
    with pytest.raises(ValidationError):
        cc.credit_code_validator(value)


def test_api_doc_example_fails_both_checks() -> None:
    assert cc.credit_code_check_character(API_DOC_EXAMPLE[:17]) != API_DOC_EXAMPLE[17]
    assert cc.organization_code_check_character(API_DOC_EXAMPLE[8:16]) != API_DOC_EXAMPLE[16]


@pytest.mark.parametrize("code", VALID_CODES)
def test_org_only_failure_really_has_a_correct_18th_character(code: str) -> None:
    broken = _with_org_check_broken(code)
    assert cc.credit_code_check_character(broken[:17]) == broken[17]
    with pytest.raises(ValidationError) as caught:
        cc.validate_credit_code(broken)
    assert caught.value.message is cc.CREDIT_CODE_ORG_CHECK_MESSAGE
    assert "GB 11714" in rendered(caught.value)


def _random_valid_codes(count: int) -> Iterator[str]:
    rng = random.Random(32100)
    for _ in range(count):
        body = "".join(rng.choice(cc.CREDIT_CODE_CHARSET) for _ in range(8))
        first17 = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + body
        first17 += cc.organization_code_check_character(body)
        yield first17 + cc.credit_code_check_character(first17)


@pytest.mark.parametrize("code", [*VALID_CODES, *_random_valid_codes(20)])
def test_every_single_character_typo_is_rejected(code: str) -> None:
    assert cc.validate_credit_code(code) == code
    for position in range(18):
        for char in cc.CREDIT_CODE_CHARSET:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1 :]
            with pytest.raises(ValidationError):
                cc.validate_credit_code(typo)


def test_messages_are_importable_constants_with_their_codes() -> None:
    with pytest.raises(ValidationError) as caught:
        cc.validate_credit_code("123")
    assert caught.value.message is cc.CREDIT_CODE_LENGTH_MESSAGE
    assert caught.value.params == {"length": 3}
