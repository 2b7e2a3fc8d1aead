"""The decline reasons and the resubmission cooldown (filings/decisions.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from filings.decisions import OTHER, needs_justification, reasons_for, target_of

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_reasons_name_their_document_or_field_documents_first_then_fields_then_other() -> None:
    reasons = reasons_for(
        document_kinds=["businessLicense", "proprietorIdcard"],
        sensitive_kinds=["proprietorIdcard"],
        fields=["scripts"],
    )
    codes = [reason.code for reason in reasons]
    assert codes[0] == "businessLicense.blurred"
    assert "proprietorIdcard.one_side" in codes  # an ID document's own problems
    assert "businessLicense.one_side" not in codes
    assert codes[-3:] == ["scripts.mismatch", "scripts.content", OTHER]
    assert {reason.target for reason in reasons} == {
        "businessLicense",
        "proprietorIdcard",
        "scripts",
        "",
    }
    assert len(codes) == len(set(codes))


def test_a_field_without_known_problems_offers_none_and_other_is_always_there() -> None:
    reasons = reasons_for(document_kinds=[], sensitive_kinds=[], fields=["no_such_field"])
    assert [reason.code for reason in reasons] == [OTHER]


@pytest.mark.parametrize(
    ("code", "target"),
    [("businessLicense.blurred", "businessLicense"), ("scripts.content", "scripts"), (OTHER, "")],
)
def test_the_target_is_read_back_from_a_stored_code(code: str, target: str) -> None:
    assert target_of(code) == target


@pytest.mark.parametrize(
    ("declined_ago", "hours", "needed"),
    [
        (timedelta(hours=1), 24, True),
        (timedelta(hours=23, minutes=59), 24, True),
        (timedelta(hours=24), 24, False),
        (timedelta(days=3), 24, False),
        (timedelta(hours=1), 0, False),  # 0 turns the cooldown off
    ],
)
def test_a_rework_within_the_cooldown_needs_a_justification(
    declined_ago: timedelta, hours: int, needed: bool
) -> None:
    assert needs_justification(NOW - declined_ago, NOW, hours) is needed


def test_nothing_declined_needs_no_justification() -> None:
    assert needs_justification(None, NOW, 24) is False
