"""Envelope encryption: what opens, and everything that must not."""

import json

import pytest

from services.common.crypto import CannotOpen, Keyring, KeyringError, UnknownKey


def test_a_sealed_field_opens_with_its_report_and_field_only() -> None:
    keyring = Keyring.new("k1")
    key, wrapped = keyring.new_data_key("report-a")
    sealed = key.seal("narrative", "收保护费 canary".encode())
    assert b"canary" not in sealed
    assert keyring.open_data_key(wrapped, "report-a").open("narrative", sealed).decode() == (
        "收保护费 canary"
    )
    with pytest.raises(CannotOpen):
        key.open("contact", sealed)  # moved to another field


def test_a_ciphertext_or_wrapped_key_moved_to_another_report_does_not_open() -> None:
    keyring = Keyring.new("k1")
    key_a, wrapped_a = keyring.new_data_key("report-a")
    sealed = key_a.seal("narrative", b"secret")
    with pytest.raises(CannotOpen):
        keyring.open_data_key(wrapped_a, "report-b")
    key_b, _ = keyring.new_data_key("report-b")
    with pytest.raises(CannotOpen):
        key_b.open("narrative", sealed)


def test_a_tampered_ciphertext_does_not_open() -> None:
    key, _ = Keyring.new("k1").new_data_key("r")
    sealed = bytearray(key.seal("narrative", b"secret"))
    sealed[-1] ^= 1
    with pytest.raises(CannotOpen):
        key.open("narrative", bytes(sealed))


def test_the_wrong_key_encryption_key_does_not_open() -> None:
    _, wrapped = Keyring.new("k1").new_data_key("r")
    with pytest.raises(CannotOpen):
        Keyring.new("k1").open_data_key(wrapped, "r")  # same id, different key
    with pytest.raises(UnknownKey):
        Keyring.new("k2").open_data_key(wrapped, "r")


def test_rotation_rewraps_without_touching_content_and_old_keys_open_until_retired() -> None:
    old = Keyring.new("k1")
    key, wrapped = old.new_data_key("r")
    sealed = key.seal("narrative", b"secret")
    rotated = old.with_new_key("k2")
    assert rotated.active_id == "k2"
    assert rotated.open_data_key(wrapped, "r").open("narrative", sealed) == b"secret"
    rewrapped = rotated.rewrap(wrapped, "r")
    assert rewrapped["kid"] == "k2"
    retired = rotated.without("k1")
    assert retired.open_data_key(rewrapped, "r").open("narrative", sealed) == b"secret"
    with pytest.raises(UnknownKey):
        retired.open_data_key(wrapped, "r")
    with pytest.raises(KeyringError):
        retired.without("k2")  # the active key cannot go


def test_file_chunks_cannot_be_reordered_or_cut_short() -> None:
    key, _ = Keyring.new("k1").new_data_key("r")
    first = key.seal_chunk("file:f1", 0, False, b"aaaa")
    last = key.seal_chunk("file:f1", 1, True, b"bbbb")
    assert key.open_chunk("file:f1", 1, True, last) == b"bbbb"
    with pytest.raises(CannotOpen):
        key.open_chunk("file:f1", 0, False, last)  # swapped
    with pytest.raises(CannotOpen):
        key.open_chunk("file:f1", 0, True, first)  # a cut-off file claiming to end here
    with pytest.raises(CannotOpen):
        key.open_chunk("file:f2", 0, False, first)  # moved to another file


def test_keyring_json_round_trip_and_clear_errors() -> None:
    keyring = Keyring.new("k1").with_new_key("k2")
    again = Keyring.from_json(keyring.to_json())
    assert again == keyring
    with pytest.raises(KeyringError, match="keyring is JSON"):
        Keyring.from_json("not json")
    with pytest.raises(UnknownKey):
        Keyring.from_json(json.dumps({"active": "zz", "keys": {}}))
    with pytest.raises(KeyringError, match="32 bytes"):
        Keyring.from_json(json.dumps({"active": "a", "keys": {"a": "AAAA"}}))
