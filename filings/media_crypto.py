"""Pure: AES-256-GCM envelopes for stored files, and the keyring they are made with. No Django.

An envelope is `MAGIC | len(key id) | key id | nonce | ciphertext+tag`. The key id is part of
the authenticated data, so an envelope names the key that made it and cannot be relabelled.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"VMSENC1\x00"
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
MAX_KEY_ID = 64
# Enough of a file's start to read its key id.
HEADER_MAX = len(MAGIC) + 1 + MAX_KEY_ID
KEY_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class MediaKeyError(ValueError):
    """A keyring that cannot be used, or an envelope that no key in it opens."""


@dataclass(frozen=True)
class Keyring:
    """Keys by id; `current` encrypts, every key decrypts (old keys stay until re-encryption)."""

    current: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise MediaKeyError(f"the current key {self.current!r} is not in the keyring")


def parse_keyring(text: str, *, variable: str = "PORTAL_MEDIA_KEYS") -> Keyring:
    """Read `id:base64key,id:base64key,…`; the first key is the current one.

    Each key is 32 random bytes in standard or URL-safe base64, e.g. made with
    `python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"`.
    """
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id or len(key_id) > MAX_KEY_ID or set(key_id) - KEY_ID_CHARS:
            raise MediaKeyError(
                f"{variable}: each entry must be id:base64key with an id of letters, digits, "
                f"'-', '_' or '.' (at most {MAX_KEY_ID})"
            )
        try:
            key = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise MediaKeyError(f"{variable}: the key {key_id!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise MediaKeyError(
                f"{variable}: the key {key_id!r} has {len(key)} bytes; AES-256 needs {KEY_BYTES}"
            )
        if key_id in keys:
            raise MediaKeyError(f"{variable}: the key id {key_id!r} appears twice")
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise MediaKeyError(f"{variable} holds no key")
    return Keyring(current=order[0], keys=keys)


def is_envelope(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def key_id_of(blob: bytes) -> str | None:
    """The id of the key that encrypted `blob`, or None when it is not an envelope."""
    if not is_envelope(blob) or len(blob) <= len(MAGIC):
        return None
    length = blob[len(MAGIC)]
    start = len(MAGIC) + 1
    return blob[start : start + length].decode("ascii", "replace")


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return MAGIC + bytes([len(encoded)]) + encoded


def encrypt(keyring: Keyring, plaintext: bytes) -> bytes:
    header = _header(keyring.current)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.keys[keyring.current]).encrypt(nonce, plaintext, header)
    return header + nonce + sealed


def decrypt(keyring: Keyring, blob: bytes) -> bytes:
    """The plaintext of an envelope; MediaKeyError when its key is unknown or it was altered."""
    key_id = key_id_of(blob)
    if key_id is None:
        raise MediaKeyError("not an encrypted file")
    key = keyring.keys.get(key_id)
    if key is None:
        raise MediaKeyError(f"encrypted with the key {key_id!r}, which is not in the keyring")
    header = _header(key_id)
    nonce = blob[len(header) : len(header) + NONCE_BYTES]
    sealed = blob[len(header) + NONCE_BYTES :]
    if len(nonce) != NONCE_BYTES or len(sealed) < TAG_BYTES:
        raise MediaKeyError("the encrypted file is truncated")
    try:
        return AESGCM(key).decrypt(nonce, sealed, header)
    except InvalidTag:
        raise MediaKeyError("the encrypted file was altered or the key is wrong") from None


def plaintext_size(blob_size: int, key_id: str) -> int:
    return blob_size - len(_header(key_id)) - NONCE_BYTES - TAG_BYTES
