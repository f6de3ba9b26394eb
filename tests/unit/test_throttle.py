"""The lookup throttle: free mistakes first, then growing waits, per client and overall."""

import asyncio

import pytest

from services.common.throttle import FailureThrottle, TooManyGuesses


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_few_mistakes_cost_nothing_then_each_failure_doubles_the_wait_up_to_a_cap() -> None:
    clock = Clock()
    throttle = FailureThrottle(free_failures=3, first_delay=0.5, max_delay=4.0, clock=clock)
    me = throttle.client("203.0.113.7")
    waits = []
    for _ in range(8):
        waits.append(throttle.delay_for(me))
        throttle.failed(me)
    assert waits == [0, 0, 0, 0, 0.5, 1.0, 2.0, 4.0]
    assert throttle.delay_for(me) == 4.0  # capped


def test_other_clients_are_not_slowed_by_one_guesser_and_the_window_forgets() -> None:
    clock = Clock()
    throttle = FailureThrottle(free_failures=1, window_seconds=60, clock=clock)
    guesser, reporter = throttle.client("198.51.100.1"), throttle.client("198.51.100.2")
    for _ in range(5):
        throttle.failed(guesser)
    assert throttle.delay_for(guesser) > 0
    assert throttle.delay_for(reporter) == 0
    clock.now += 61
    assert throttle.delay_for(guesser) == 0


def test_many_failing_clients_slow_every_failing_client() -> None:
    clock = Clock()
    throttle = FailureThrottle(free_failures=100, global_free_per_minute=10, clock=clock)
    clients = [throttle.client(f"10.0.0.{n}") for n in range(30)]
    for client in clients:
        throttle.failed(client)  # one failure each: none is over its own allowance
    assert throttle.delay_for(clients[0]) > 0
    assert throttle.delay_for(throttle.client("10.9.9.9")) == 0  # never failed: not slowed


def test_addresses_are_kept_only_as_keyed_hashes_and_memory_is_bounded() -> None:
    throttle = FailureThrottle(max_clients=3)
    for n in range(10):
        throttle.failed(throttle.client(f"192.0.2.{n}"))
    assert len(throttle._clients) == 3
    assert not any("192.0.2" in key for key in throttle._clients)
    assert FailureThrottle().client("192.0.2.1") != throttle.client("192.0.2.1")


async def test_past_the_threshold_lookups_are_refused_until_the_oldest_failure_leaves() -> None:
    clock = Clock()
    throttle = FailureThrottle(free_failures=100, refuse_after=3, window_seconds=60, clock=clock)

    async def miss() -> None:
        return None

    for _ in range(3):
        assert await throttle.guarded("198.51.100.9", miss) is None
        clock.now += 1
    with pytest.raises(TooManyGuesses) as refused:
        await throttle.guarded("198.51.100.9", miss)
    assert refused.value.retry_after == 57  # at 1003; the first failure leaves at 1060
    assert await throttle.guarded("198.51.100.10", miss) is None  # another client is not refused
    clock.now += 58
    assert await throttle.guarded("198.51.100.9", miss) is None


async def test_a_lookup_that_finds_its_report_is_not_counted_as_a_failure() -> None:
    throttle = FailureThrottle(free_failures=0, refuse_after=2)

    async def hit() -> str:
        return "report-1"

    for _ in range(5):
        assert await throttle.guarded("203.0.113.1", hit) == "report-1"
    assert throttle.delay_for(throttle.client("203.0.113.1")) == 0


async def test_parallel_lookups_see_each_other_before_any_has_failed() -> None:
    throttle = FailureThrottle(free_failures=100, refuse_after=3)
    started = asyncio.Event()

    async def slow_miss() -> None:
        await started.wait()
        return None

    tries = [asyncio.ensure_future(throttle.guarded("192.0.2.50", slow_miss)) for _ in range(10)]
    await asyncio.sleep(0)
    started.set()
    outcomes = await asyncio.gather(*tries, return_exceptions=True)
    assert sum(isinstance(o, TooManyGuesses) for o in outcomes) == 7
