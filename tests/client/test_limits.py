"""The per-deployment concurrency limit, shared by threads (``generate``) and event loops (``agenerate``)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest

from promptlib import Library
from promptlib.client._client import ImagesClient
from promptlib.client._limits import ConcurrencyLimiter


class Gauge:
    """Counts how many holders are inside at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.entered = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.entered += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1


def _hold(limiter: ConcurrencyLimiter, gauge: Gauge, seconds: float = 0.03) -> None:
    with limiter.slot():
        gauge.enter()
        time.sleep(seconds)
        gauge.leave()


def test_threads_never_exceed_the_limit() -> None:
    limiter, gauge = ConcurrencyLimiter(3), Gauge()

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda _: _hold(limiter, gauge), range(12)))

    assert (gauge.peak, gauge.entered, limiter.in_flight) == (3, 12, 0)


@pytest.mark.anyio
async def test_threads_and_tasks_together_never_exceed_the_limit() -> None:
    limiter, gauge = ConcurrencyLimiter(2), Gauge()

    async def task() -> None:
        async with limiter.aslot():
            gauge.enter()
            await anyio.sleep(0.03)
            gauge.leave()

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(task)
            group.start_soon(anyio.to_thread.run_sync, _hold, limiter, gauge)

    assert (gauge.peak, gauge.entered, limiter.in_flight) == (2, 8, 0)


def test_a_slot_is_released_when_the_call_fails() -> None:
    limiter = ConcurrencyLimiter(1)

    with pytest.raises(RuntimeError), limiter.slot():
        raise RuntimeError("the request failed")

    assert limiter.in_flight == 0
    with limiter.slot():  # would block forever if the failed call had kept its slot
        assert limiter.in_flight == 1


@pytest.mark.anyio
async def test_a_cancelled_waiter_or_holder_gives_nothing_away() -> None:
    limiter = ConcurrencyLimiter(1)

    async def hold_forever() -> None:
        async with limiter.aslot():
            await anyio.sleep_forever()

    async with anyio.create_task_group() as group:
        group.start_soon(hold_forever)
        group.start_soon(hold_forever)  # waits for the slot
        await anyio.sleep(0.05)
        assert limiter.in_flight == 1
        group.cancel_scope.cancel()

    assert limiter.in_flight == 0


def test_raising_the_limit_wakes_waiting_threads() -> None:
    limiter, gauge = ConcurrencyLimiter(1), Gauge()

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(_hold, limiter, gauge, 0.2) for _ in range(3)]
        time.sleep(0.05)
        limiter.limit = 3
        for future in futures:
            future.result()

    assert gauge.peak == 3


def test_lowering_the_limit_applies_to_new_callers() -> None:
    limiter, gauge = ConcurrencyLimiter(4), Gauge()
    limiter.limit = 1

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: _hold(limiter, gauge, 0.01), range(4)))

    assert gauge.peak == 1


def test_a_limit_below_one_still_lets_calls_through() -> None:
    limiter = ConcurrencyLimiter(0)

    with limiter.slot():
        assert limiter.limit == 1


def test_limits_belong_to_a_librarys_clients_not_to_the_process(tmp_path: Path) -> None:
    """One client per deployment in a Library: its sync and async callers share the limit; another Library, or a
    run's --concurrency, gets its own."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "promptlib.yaml").write_text("deployments:\n  local: {kind: emulator, max_concurrency: 2}\n")
    first, second = Library.load(root), Library.load(root)

    assert first.clients.get("local") is first.clients.get("local")
    assert first.clients.get("local").limiter is not second.clients.get("local").limiter
    assert first.clients.get("local").limiter.limit == 2
    endpoint = first.clients.get("local").endpoint
    assert ImagesClient(endpoint, concurrency=5).limiter.limit == 5 and first.clients.get("local").limiter.limit == 2
