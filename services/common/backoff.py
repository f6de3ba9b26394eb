"""Waiting for the broker and the database: a bounded back-off, never an exit.

A service started before its broker or database (or while one of them restarts) waits for
them: each failed attempt is logged (error type and attempt only) and retried after a delay
that doubles from `first` up to `most`, with jitter so restarted services do not knock in
step. Used by the producers, the consumer runtimes, intake's start-up and the classifier before
faust starts.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    most: float = 10.0
    jitter: float = 0.2  # each delay is shortened by up to this share, at random

    def delays(self) -> Callable[[int], float]:
        """The delay after attempt n (1, 2, ...): first, 2 x first, ... capped at `most`."""

        def delay(attempt: int) -> float:
            base = min(self.most, self.first * 2 ** min(attempt - 1, 30))
            return base * (1 - self.jitter * random.random())  # jitter, not a secret

        return delay


DEFAULT = Backoff()


async def until_reachable(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    backoff: Backoff = DEFAULT,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`attempt()`'s result, retried with back-off for as long as it raises an Exception."""
    delay = backoff.delays()
    tries = 0
    while True:
        tries += 1
        try:
            return await attempt()
        except Exception as exc:
            wait = delay(tries)
            log.warning(
                "not reachable yet; retrying",
                extra={
                    "waiting_for": what,
                    "attempt": tries,
                    "retry_in_seconds": round(wait, 2),
                    "error": type(exc).__name__,
                },
            )
            await sleep(wait)
