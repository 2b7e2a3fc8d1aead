"""The Click2CallNumberAuth body as the gateway checks it. Pure: no Django, no network."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from filings.sandbox.body_rules import check_picture, check_text, parse_json_object
from filings.sandbox.errors import VerifyError, invalid_parameter

REQUIRED_FIELDS = ("companyName", "companyCreditCode", "action", "aNumbers")
LETTER_KIND = "businessUsageCommitmentletter"
LETTER_URL_FIELD = f"{LETTER_KIND}PicUrl"
LETTER_FILENAME_FIELD = f"{LETTER_KIND}PicFilename"
SCRIPT_FIELDS = ("script", "scriptScene")
# add puts numbers on the list, update changes their script, delete takes them off.
ACTIONS_WITH_LETTER = ("add", "update")
ACTIONS = (*ACTIONS_WITH_LETTER, "delete")
LETTER_AND_SCRIPT_FIELDS = (LETTER_URL_FIELD, LETTER_FILENAME_FIELD, *SCRIPT_FIELDS)

MAX_NUMBERS = 100
DIGITS_RE = re.compile(r"[0-9]+")
# Mainland numbers in national digits: a mobile (11 digits from 1), or a fixed line with its
# area code (0 and 2-3 digits) and a 7-8 digit local number: 11 or 12 digits from 0.
NATIONAL_NUMBER_RE = re.compile(r"1[0-9]{10}|0[0-9]{10,11}")
NATIONAL_NUMBER_SHAPE = (
    "must be a mainland number in national digits "
    "(a mobile of 11 digits from 1, or a fixed line with its area code: 11 or 12 digits from 0)"
)
# Separators a person may type in place of the ASCII comma.
OTHER_SEPARATORS = ("，", "、", ";", "；", "|")


def check_number_auth_body(body: bytes) -> Mapping[str, Any] | VerifyError:
    """The Click2CallNumberAuth body: fields as `action` asks, well-formed A-numbers."""
    payload = parse_json_object(body)
    if isinstance(payload, VerifyError):
        return payload
    for name in REQUIRED_FIELDS:
        if (error := check_text(payload, name)) is not None:
            return error
    action = payload["action"]
    if action not in ACTIONS:
        return invalid_parameter("action", f"must be one of {', '.join(ACTIONS)}")
    if (error := check_numbers(payload["aNumbers"])) is not None:
        return error
    if action in ACTIONS_WITH_LETTER:
        if (error := check_picture(payload, LETTER_KIND)) is not None:
            return error
        for name in SCRIPT_FIELDS:
            if (error := check_text(payload, name)) is not None:
                return error
    else:
        # Strict on purpose: the portal never sends these with delete, so one that does has
        # built the wrong body, and the sandbox says so rather than ignoring the fields.
        for name in LETTER_AND_SCRIPT_FIELDS:
            if name in payload:
                return invalid_parameter(name, f"is not expected with action {action}")
    return payload


def check_numbers(value: str) -> VerifyError | None:
    """aNumbers: at most 100 distinct national numbers joined by ASCII commas, no spaces."""
    if any(char.isspace() for char in value):
        return invalid_parameter("aNumbers", "must not contain spaces")
    if any(separator in value for separator in OTHER_SEPARATORS):
        return invalid_parameter("aNumbers", "must be separated by ASCII commas")
    numbers = value.split(",")
    if not all(numbers):
        return invalid_parameter("aNumbers", "must not have an empty item between commas")
    if len(numbers) > MAX_NUMBERS:
        return invalid_parameter(
            "aNumbers", f"must hold at most {MAX_NUMBERS} numbers, not {len(numbers)}"
        )
    for position, number in enumerate(numbers, start=1):
        if not DIGITS_RE.fullmatch(number):
            return invalid_parameter(
                "aNumbers", f"item {position} ({number!r}) must be digits only"
            )
        if not NATIONAL_NUMBER_RE.fullmatch(number):
            return invalid_parameter(
                "aNumbers", f"item {position} ({number}) {NATIONAL_NUMBER_SHAPE}"
            )
    seen: set[str] = set()
    for number in numbers:
        if number in seen:
            return invalid_parameter("aNumbers", f"must not repeat a number ({number})")
        seen.add(number)
    return None
