"""What production refuses as a secret key (portal.env, pure)."""

import pytest

from portal.env import MIN_SECRET_BYTES, production_secret_problem

DEVELOPMENT = "development-value-that-is-long-enough-0123456789"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "KEY must be set when DEBUG is off."),
        (DEVELOPMENT, "KEY is the development key: set a secret of your own when DEBUG is off."),
        ("k" * 31, "KEY must be at least 32 bytes long when DEBUG is off (it has 31)."),
        ("密" * 10, "KEY must be at least 32 bytes long when DEBUG is off (it has 30)."),
    ],
)
def test_refused_keys_are_named_and_never_quoted(value: str, said: str) -> None:
    problem = production_secret_problem("KEY", value, DEVELOPMENT)
    assert problem == said
    if value:
        assert value not in problem


@pytest.mark.parametrize("value", ["k" * MIN_SECRET_BYTES, "密" * 11])  # 32 and 33 bytes
def test_a_key_of_32_bytes_or_more_is_accepted(value: str) -> None:
    assert production_secret_problem("KEY", value, DEVELOPMENT) == ""
