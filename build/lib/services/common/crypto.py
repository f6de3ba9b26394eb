"""Envelope encryption: every report has its own data key, wrapped by a key-encryption key.

- A *key-encryption key* (KEK) lives only in the keyring (a file or an environment variable,
  never the repository or the database). Each has a key id; one is active for new wraps, the
  others keep unwrapping until they are retired.
- A *data key* is 32 random bytes made for one report. The database stores it only wrapped:
  AES-256-GCM under a KEK, with the report id and key id as associated data, so a wrapped key
  copied onto another report does not open.
- Every private field is sealed with AES-256-GCM under its report's data key, with the report
  id and the field's name as associated data: a ciphertext moved to another report, or to
  another field, fails to open instead of showing the wrong content.
- Files are sealed in chunks whose associated data also carries the chunk's position and
  whether it is the last, so chunks cannot be reordered, dropped or the file cut short.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"\x01"  # the first byte of every ciphertext, so the format can change later
NONCE_BYTES = 12
KEY_BYTES = 32
FILE_CHUNK_BYTES = 64 * 1024


class KeyringError(Exception):
    """A key is missing, retired, malformed, or does not belong to this ciphertext."""


class UnknownKey(KeyringError):
    pass


class CannotOpen(KeyringError):
    """Wrong key, tampered ciphertext, or a ciphertext moved from another report or field."""


def _seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def _open(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    if sealed[:1] != FORMAT or len(sealed) < 1 + NONCE_BYTES + 16:
        raise CannotOpen("not a ciphertext of a known format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, associated)
    except InvalidTag as exc:
        raise CannotOpen("the ciphertext does not open under this key and owner") from exc


@dataclass(frozen=True)
class Keyring:
    """Key-encryption keys by id, and the one that wraps new data keys."""

    active_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise UnknownKey(f"the active key id {self.active_id!r} is not in the keyring")
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {key_id!r} must be {KEY_BYTES} bytes")

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            raw = json.loads(text)
            return cls(
                active_id=raw["active"],
                keys={kid: base64.b64decode(value) for kid, value in raw["keys"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyringError(
                'a keyring is JSON: {"active": "<key id>", "keys": {"<key id>": "<base64>"}}'
            ) from exc

    @classmethod
    def from_file(cls, path: Path) -> Keyring:
        return cls.from_json(path.read_text())

    def to_json(self) -> str:
        keys = {kid: base64.b64encode(key).decode() for kid, key in self.keys.items()}
        return json.dumps({"active": self.active_id, "keys": keys}, indent=2)

    def with_new_key(self, key_id: str) -> Keyring:
        if key_id in self.keys:
            raise KeyringError(f"key id {key_id!r} is already in the keyring")
        return Keyring(active_id=key_id, keys={**self.keys, key_id: AESGCM.generate_key(256)})

    def without(self, key_id: str) -> Keyring:
        if key_id == self.active_id:
            raise KeyringError("the active key cannot be retired; make another key active first")
        return Keyring(
            active_id=self.active_id, keys={k: v for k, v in self.keys.items() if k != key_id}
        )

    @staticmethod
    def new(key_id: str) -> Keyring:
        return Keyring(active_id=key_id, keys={key_id: AESGCM.generate_key(256)})

    # -- data keys ---------------------------------------------------------------------------

    def new_data_key(self, owner: str) -> tuple[DataKey, dict[str, Any]]:
        """A fresh data key for `owner` (a report id), and its wrapped form for storage."""
        key = AESGCM.generate_key(256)
        return DataKey(owner, key), self.wrap(key, owner)

    def wrap(self, key: bytes, owner: str) -> dict[str, Any]:
        kek = self.keys[self.active_id]
        return {"kid": self.active_id, "wrapped": _seal(kek, key, _wrap_aad(owner, self.active_id))}

    def open_data_key(self, wrapped: Mapping[str, Any], owner: str) -> DataKey:
        kid = str(wrapped.get("kid"))
        if kid not in self.keys:
            raise UnknownKey(f"key id {kid!r} is not in the keyring (retired or never known)")
        key = _open(self.keys[kid], bytes(wrapped["wrapped"]), _wrap_aad(owner, kid))
        return DataKey(owner, key)

    def rewrap(self, wrapped: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """The same data key wrapped under the active KEK; content stays as it is."""
        return self.wrap(self.open_data_key(wrapped, owner).key, owner)


def _wrap_aad(owner: str, key_id: str) -> bytes:
    return f"tipline data key|{owner}|{key_id}".encode()


@dataclass(frozen=True)
class DataKey:
    """One report's opened data key. Lives in memory only for the request that needs it."""

    owner: str
    key: bytes

    def seal(self, field: str, plaintext: bytes) -> bytes:
        return _seal(self.key, plaintext, self._aad(field))

    def open(self, field: str, sealed: bytes) -> bytes:
        return _open(self.key, bytes(sealed), self._aad(field))

    def seal_json(self, field: str, value: Any) -> bytes:
        return self.seal(field, json.dumps(value, ensure_ascii=False, default=str).encode())

    def open_json(self, field: str, sealed: bytes) -> Any:
        return json.loads(self.open(field, sealed))

    def seal_chunk(self, field: str, index: int, last: bool, chunk: bytes) -> bytes:
        return _seal(self.key, chunk, self._aad(f"{field}|{index}|{int(last)}"))

    def open_chunk(self, field: str, index: int, last: bool, sealed: bytes) -> bytes:
        return _open(self.key, bytes(sealed), self._aad(f"{field}|{index}|{int(last)}"))

    def _aad(self, field: str) -> bytes:
        return f"tipline field|{self.owner}|{field}".encode()
