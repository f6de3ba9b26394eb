"""Waiting for the broker or the database: delays that double up to a bound, and no exit."""

from __future__ import annotations

import pytest

from services.common.backoff import Backoff, until_reachable


def test_delays_double_from_the_first_up_to_the_bound():
    delay = Backoff(first=0.5, most=4.0, jitter=0.0).delays()
    assert [delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert delay(10_000) == 4.0  # a service waiting for hours still retries every 4 s


def test_jitter_only_shortens_a_delay():
    delay = Backoff(first=1.0, most=8.0, jitter=0.2).delays()
    for attempt in range(1, 20):
        ceiling = min(8.0, 2.0 ** (attempt - 1))
        assert 0.8 * ceiling <= delay(attempt) <= ceiling


async def test_an_unreachable_server_is_retried_until_it_answers():
    failures = [ConnectionRefusedError(), TimeoutError(), OSError()]
    slept: list[float] = []

    async def attempt() -> str:
        if failures:
            raise failures.pop(0)
        return "connected"

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    backoff = Backoff(first=1.0, most=3.0, jitter=0.0)
    assert await until_reachable("kafka", attempt, backoff, sleep) == "connected"
    assert slept == [1.0, 2.0, 3.0]


async def test_cancelling_a_wait_stops_it():
    async def attempt() -> None:
        raise ConnectionRefusedError()

    async def sleep(seconds: float) -> None:
        raise KeyboardInterrupt  # stands for the task being stopped while it waits

    with pytest.raises(KeyboardInterrupt):
        await until_reachable("mongodb", attempt, Backoff(jitter=0.0), sleep)
