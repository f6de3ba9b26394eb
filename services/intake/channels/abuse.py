"""Abuse resistance that a real reporter does not notice. Pure logic; the clock is passed in.

- A per-client rate limit on submissions, in memory. The client's address is only ever held as
  a keyed hash under a key that lives in this process's memory and nowhere else: it is never
  stored, logged or comparable across restarts.
- A light proof of work: the form carries a signed challenge, and a small script on the page
  finds a nonce whose SHA-256 has `bits` leading zero bits while the reporter types (well under
  a second on a slow phone). A bot must pay that for every submission. Without JavaScript the
  form still works, under a stricter limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field

CHALLENGE_LIFETIME_SECONDS = 2 * 3600
WINDOW_SECONDS = 3600.0


class RateLimiter:
    """Sliding one-hour window per client, two allowances: with and without a proof of work."""

    def __init__(self, per_hour: int, per_hour_without_proof: int, max_clients: int = 100_000):
        self.per_hour = per_hour
        self.per_hour_without_proof = per_hour_without_proof
        self.max_clients = max_clients
        self._key = secrets.token_bytes(32)
        self._seen: dict[str, deque[float]] = {}

    def client_key(self, address: str) -> str:
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def allow(self, address: str, *, proven: bool, now: float) -> bool:
        """Whether this client may send another report now. Without proof, the stricter
        allowance applies to everything the client sent in the window; with proof, the
        generous one. Only accepted reports are counted (`count`): a reporter correcting a
        field is not held back by their own mistakes."""
        recent = self._recent(self.client_key(address), now)
        limit = self.per_hour if proven else self.per_hour_without_proof
        return len(recent) < limit

    def count(self, address: str, *, now: float) -> None:
        self._recent(self.client_key(address), now).append(now)

    def _recent(self, key: str, now: float) -> deque[float]:
        recent = self._seen.get(key)
        if recent is None:
            if len(self._seen) >= self.max_clients:
                self._forget_idle(now)
            recent = self._seen[key] = deque()
        while recent and recent[0] <= now - WINDOW_SECONDS:
            recent.popleft()
        return recent

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._seen.items() if not v or v[-1] <= now - WINDOW_SECONDS]:
            del self._seen[key]
        if len(self._seen) >= self.max_clients:  # a flood of distinct addresses: start over
            self._seen.clear()


@dataclass
class ProofOfWork:
    """Challenges are `issued.random.signature`; a proof is a nonce for one of them."""

    key: bytes
    bits: int
    _spent: dict[str, float] = field(default_factory=dict)

    def challenge(self, now: float) -> str:
        body = f"{int(now)}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._sign(body)}"

    def verify(self, challenge: str, nonce: str, now: float) -> bool:
        """True once per challenge: signed by us, not too old, and the work done."""
        issued, _, rest = challenge.partition(".")
        token, _, signature = rest.partition(".")
        if not (issued.isdigit() and token and signature and len(nonce) <= 32):
            return False
        if not hmac.compare_digest(signature, self._sign(f"{issued}.{token}")):
            return False
        if not 0 <= now - int(issued) <= CHALLENGE_LIFETIME_SECONDS:
            return False
        if not meets_difficulty(challenge, nonce, self.bits):
            return False
        self._forget_old(now)
        if challenge in self._spent:
            return False
        self._spent[challenge] = now
        return True

    def _sign(self, body: str) -> str:
        digest = hmac.new(self.key, b"pow:" + body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def _forget_old(self, now: float) -> None:
        if len(self._spent) > 50_000:
            cutoff = now - CHALLENGE_LIFETIME_SECONDS
            self._spent = {c: t for c, t in self._spent.items() if t > cutoff}


def meets_difficulty(challenge: str, nonce: str, bits: int) -> bool:
    """SHA-256 of `challenge:nonce` starts with `bits` zero bits (what pow.js searches for)."""
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return int.from_bytes(digest, "big") >> (256 - bits) == 0


def solve(challenge: str, bits: int) -> str:
    """What the page's script does, for tests and for honest API clients."""
    nonce = 0
    while not meets_difficulty(challenge, str(nonce), bits):
        nonce += 1
    return str(nonce)
