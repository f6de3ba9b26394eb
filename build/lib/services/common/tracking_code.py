"""Tracking codes: the reporter's only key to their case.

A code is 20 random symbols (100 bits from `secrets`) in Crockford's base-32 alphabet, which
has no I, L, O or U, so nothing is ambiguous when read aloud or copied by hand, followed by one
Luhn mod 32 check symbol that catches every single mistyped symbol and most swapped neighbours
before any lookup. It is shown in groups of three: `K7Q-M3X-W9T-Z4H-8PD-2RA-N6C`.

The code itself is never stored or logged: only its HMAC under a server secret, so a copy of
the database does not let anyone test guesses without that secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 20  # 20 × 5 bits = 100 bits of entropy
LENGTH = RANDOM_SYMBOLS + 1
GROUP = 3

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford decoding: read the look-alikes as the digits they resemble.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def generate() -> str:
    """A new code, formatted for display."""
    number = secrets.randbits(RANDOM_SYMBOLS * 5)
    payload = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(RANDOM_SYMBOLS))
    return format_code(payload + check_symbol(payload))


def format_code(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(text: str) -> str | None:
    """The canonical form of what a reporter typed, or None when it cannot be a valid code.

    Case, spaces and hyphens do not matter, and look-alike letters are read as digits.
    """
    compact = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(compact) != LENGTH or any(symbol not in _VALUE for symbol in compact):
        return None
    if not _luhn_valid(compact):
        return None
    return compact


def lookup_hash(normalized_code: str, secret: bytes) -> str:
    return hmac.new(secret, normalized_code.encode(), hashlib.sha256).hexdigest()


def check_symbol(payload: str) -> str:
    """Luhn mod N over the base-32 alphabet (N = 32)."""
    n = len(ALPHABET)
    return ALPHABET[(n - _luhn_sum(payload, double_last=True) % n) % n]


def _luhn_valid(code: str) -> bool:
    return _luhn_sum(code, double_last=False) % len(ALPHABET) == 0


def _luhn_sum(symbols: str, *, double_last: bool) -> int:
    """Sum of the symbols' values from the right, every other one doubled (digits summed in
    base N); the payload's last symbol is doubled, a full code's check symbol is not."""
    n = len(ALPHABET)
    total = 0
    for position, symbol in enumerate(reversed(symbols)):
        doubled = (position % 2 == 0) == double_last
        addend = _VALUE[symbol] * (2 if doubled else 1)
        total += addend // n + addend % n
    return total
