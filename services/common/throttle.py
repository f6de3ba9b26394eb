"""Slows down guessing of tracking codes, per client and across all clients.

A client's first few failed lookups cost nothing, so a reporter who mistypes is not punished.
After that every lookup from that client waits first, twice as long for each further failure
(up to a cap), and when failures across all clients climb, every failing client waits more.
The wait comes before the lookup, whatever its outcome, and the answer is the ordinary one:
a throttled guess looks and takes the same as any other, so the delay says nothing about
whether a code exists.

Clients are told apart by their address under an HMAC with a key made at start-up and never
stored: the throttle can count, but nothing here can say who a client was, and restarting
forgets everything. Behind several replicas each keeps its own count (documented).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import Counter

THROTTLED = Counter(
    "tipline_lookup_throttled_total", "Lookups delayed because of earlier failed lookups"
)


@dataclass
class FailureThrottle:
    free_failures: int = 5  # per client per window, before any delay
    window_seconds: float = 15 * 60
    first_delay: float = 0.5
    max_delay: float = 8.0
    global_free_per_minute: int = 600  # failures across all clients before everyone slows
    max_clients: int = 100_000  # memory bound: the oldest clients are forgotten first
    clock: Callable[[], float] = time.monotonic
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _clients: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _recent: deque[float] = field(default_factory=deque)

    def client(self, address: str | None) -> str:
        return hmac.new(self._key, (address or "").encode(), hashlib.sha256).hexdigest()[:32]

    def delay_for(self, client: str) -> float:
        """How long this client's next lookup waits, from its failures and everyone's."""
        now = self.clock()
        own = self._failures(client, now)
        delay = 0.0
        if own > self.free_failures:
            delay = self.first_delay * 2 ** (own - self.free_failures - 1)
        self._forget_before(self._recent, now - 60)
        if len(self._recent) > self.global_free_per_minute and own > 0:
            delay = max(delay, self.first_delay * len(self._recent) / self.global_free_per_minute)
        delay = min(delay, self.max_delay)
        if delay:
            THROTTLED.inc()
        return delay

    def failed(self, client: str) -> None:
        now = self.clock()
        failures = self._clients.pop(client, None) or deque()
        failures.append(now)
        self._clients[client] = failures  # most recent last, for eviction order
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)
        self._recent.append(now)

    def _failures(self, client: str, now: float) -> int:
        failures = self._clients.get(client)
        if failures is None:
            return 0
        self._forget_before(failures, now - self.window_seconds)
        return len(failures)

    @staticmethod
    def _forget_before(times: deque[float], cutoff: float) -> None:
        while times and times[0] < cutoff:
            times.popleft()
