"""AES-256-GCM envelopes and keyrings (pure)."""

import base64
import os

import pytest

from filings.media_crypto import (
    MAGIC,
    MediaKeyError,
    decrypt,
    encrypt,
    key_id_of,
    parse_keyring,
    plaintext_size,
)


def key_text(key_id: str, key: bytes | None = None) -> str:
    return f"{key_id}:{base64.b64encode(key or os.urandom(32)).decode()}"


def test_an_envelope_names_its_key_and_round_trips() -> None:
    keyring = parse_keyring(key_text("2026-11"))
    plaintext = b"\xff\xd8\xff\xe0 an ID card"

    blob = encrypt(keyring, plaintext)

    assert blob.startswith(MAGIC)
    assert key_id_of(blob) == "2026-11"
    assert plaintext not in blob
    assert decrypt(keyring, blob) == plaintext
    assert plaintext_size(len(blob), "2026-11") == len(plaintext)


def test_the_same_plaintext_encrypts_differently_each_time() -> None:
    keyring = parse_keyring(key_text("k1"))

    assert encrypt(keyring, b"same") != encrypt(keyring, b"same")


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old = parse_keyring(key_text("old", b"o" * 32))
    rotated = parse_keyring(",".join([key_text("new", b"n" * 32), key_text("old", b"o" * 32)]))

    blob = encrypt(old, b"data")

    assert rotated.current == "new"
    assert decrypt(rotated, blob) == b"data"
    assert key_id_of(encrypt(rotated, b"data")) == "new"


@pytest.mark.parametrize("where", [len(MAGIC) + 1, -1, -20])
def test_an_altered_envelope_is_refused(where: int) -> None:
    keyring = parse_keyring(key_text("k1"))
    blob = bytearray(encrypt(keyring, b"an ID card image"))
    blob[where] ^= 0x01

    with pytest.raises(MediaKeyError):
        decrypt(keyring, bytes(blob))


def test_an_envelope_of_an_unknown_key_is_refused_naming_the_key() -> None:
    blob = encrypt(parse_keyring(key_text("gone")), b"data")

    with pytest.raises(MediaKeyError, match="'gone'"):
        decrypt(parse_keyring(key_text("other")), blob)


def test_a_truncated_envelope_is_refused() -> None:
    keyring = parse_keyring(key_text("k1"))

    with pytest.raises(MediaKeyError, match="truncated"):
        decrypt(keyring, encrypt(keyring, b"data")[:20])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "holds no key"),
        ("nokey", "id:base64key"),
        ("bad id:" + base64.b64encode(b"k" * 32).decode(), "id:base64key"),
        ("k1:not base64!", "not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "has 5 bytes"),
        (key_text("k1") + "," + key_text("k1"), "appears twice"),
    ],
)
def test_a_bad_keyring_is_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(MediaKeyError, match=problem):
        parse_keyring(text)


def test_url_safe_base64_keys_are_accepted() -> None:
    key = bytes(range(250, 256)) * 5 + b"\xfb\xff"
    text = "k1:" + base64.urlsafe_b64encode(key).decode()

    assert parse_keyring(text).keys["k1"] == key
