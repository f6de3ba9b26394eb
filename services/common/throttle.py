"""Slows down guessing of tracking codes, per client and across all clients.

A client's first few failed lookups cost nothing, so a reporter who mistypes is not punished.
After that every lookup from that client waits first, twice as long for each further failure
(up to a cap), and when failures across all clients climb, every failing client waits more.
The wait comes before the lookup, whatever its outcome, and the answer is the ordinary one:
a throttled guess looks and takes the same as any other, so the delay says nothing about
whether a code exists.

Beyond `refuse_after` failures in the window a client is refused outright (`TooManyGuesses`,
answered 429 with Retry-After) until its oldest failure leaves the window. A lookup counts as a
failure from the moment it starts and is forgiven once it finds a report, so guesses sent in
parallel see each other and cannot all slip in under the same count.

Clients are told apart by their address under an HMAC with a key made at start-up and never
stored: the throttle can count, but nothing here can say who a client was, and restarting
forgets everything. Behind several replicas each keeps its own count (documented).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from prometheus_client import Counter

THROTTLED = Counter(
    "tipline_lookup_throttled_total", "Lookups delayed because of earlier failed lookups"
)
REFUSED = Counter(
    "tipline_lookup_refused_total", "Lookups refused (429) because of earlier failed lookups"
)

Found = TypeVar("Found")


class TooManyGuesses(Exception):
    """This client failed too many lookups lately: it may try again in `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed lookups; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class FailureThrottle:
    free_failures: int = 5  # per client per window, before any delay
    window_seconds: float = 15 * 60
    first_delay: float = 0.5
    max_delay: float = 8.0
    global_free_per_minute: int = 600  # failures across all clients before everyone slows
    max_clients: int = 100_000  # memory bound: the oldest clients are forgotten first
    refuse_after: int = 20  # failures per client per window before lookups are refused
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

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until this client may look up again, or None when it may now."""
        now = self.clock()
        own = self._failures(client, now)
        if own < self.refuse_after:
            return None
        failures = self._clients[client]
        # Once this failure leaves the window, the client is back under the threshold.
        leaves_at = failures[own - self.refuse_after] + self.window_seconds
        return max(1, math.ceil(leaves_at - now))

    async def guarded(
        self,
        address: str | None,
        lookup: Callable[[], Awaitable[Found | None]],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> Found | None:
        """Runs one tracking-code lookup under the throttle: refused (TooManyGuesses) past the
        threshold, else delayed after the free failures, whatever the outcome will be."""
        client = self.client(address)
        refused = self.retry_after(client)
        if refused is not None:
            REFUSED.inc()
            raise TooManyGuesses(refused)
        delay = self.delay_for(client)
        self.failed(client)  # counted from now: parallel guesses see each other
        if delay:
            await sleep(delay)
        found = await lookup()
        if found is not None:
            self.forgive(client)
        return found

    def forgive(self, client: str) -> None:
        """Takes back the failure a lookup that found its report was counted as."""
        failures = self._clients.get(client)
        if failures:
            failures.pop()
        if self._recent:
            self._recent.pop()

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
