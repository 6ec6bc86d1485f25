"""The runner's controls: requests-per-minute pacing, AIMD concurrency on 429, and a run's retry budget."""

from __future__ import annotations

import time
import uuid
from itertools import pairwise
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
import pytest
from deployments.helpers import (
    FAST,
    Recorder,
    Send,
    azure_yaml,
    client_for,
    endpoint_from_yaml,
    error_body,
    ok_body,
    request_for,
)

from promptlib.client._client import ImagesClient
from promptlib.client._limits import CallTally, ConcurrencyLimiter, RetryBudget, call_tally, retry_budget
from promptlib.client._ratelimit import MARGIN, RequestPacer
from promptlib.deployments import Endpoint
from promptlib.exceptions import ExecutionError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "test-key-0123456789")


def _endpoint(tmp_path: Path, extra: str = "") -> Endpoint:
    """A deployment of its own (limiters and pacers are process-wide per deployment)."""
    name = f"d{uuid.uuid4().hex[:8]}"
    return endpoint_from_yaml(tmp_path, azure_yaml(name, deployment=name, extra=extra), name)


# -- pacing ---------------------------------------------------------------------------------------------------


def test_the_pacer_spaces_sends_evenly_and_saves_no_credit_while_idle() -> None:
    clock = Clock()
    pacer = RequestPacer(60, clock)
    step = 1.0 + MARGIN

    assert [pacer.reserve() for _ in range(3)] == [0, pytest.approx(step), pytest.approx(2 * step)]
    clock.now += 60  # a long idle spell: still one at a time afterwards, no burst of saved-up requests
    assert [pacer.reserve() for _ in range(2)] == [0, pytest.approx(step)]


def test_a_pause_holds_back_the_next_send() -> None:
    clock = Clock()
    pacer = RequestPacer(600, clock)  # 0.1 s apart
    pacer.reserve()
    pacer.pause(2.0)

    assert pacer.reserve() == pytest.approx(2.0)


def test_the_pacer_keeps_within_azures_one_and_ten_second_windows() -> None:
    """At 60 RPM: at most 1 send in any 1 s and 10 in any 10 s, however many callers ask at once."""
    clock = Clock()
    pacer = RequestPacer(60, clock)
    times = [clock.now + pacer.reserve() for _ in range(30)]

    for i, t in enumerate(times):
        assert sum(t <= u < t + 1 for u in times[i:]) == 1
        assert sum(t <= u < t + 10 for u in times[i:]) <= 10


@pytest.mark.anyio
async def test_threads_and_tasks_share_one_deployments_pacing(tmp_path: Path) -> None:
    endpoint = _endpoint(tmp_path, "requests_per_minute: 600\nmax_concurrency: 8")  # one send per ~0.1 s
    recorder = Recorder()
    threaded = looped = client_for(endpoint, recorder)  # a Library has one client per deployment
    assert threaded.pacer is not None

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(anyio.to_thread.run_sync, threaded.generate, request_for(endpoint))
            group.start_soon(looped.agenerate, request_for(endpoint))

    arrivals = sorted(seen.at for seen in recorder.seen)
    assert len(arrivals) == 6
    # Slots are 0.1 s apart; a loaded machine may wake one sender late, so allow scheduling jitter per gap while
    # the whole span still shows five paced intervals (unpaced, all six would arrive within milliseconds).
    assert min(b - a for a, b in pairwise(arrivals)) >= 0.05
    assert arrivals[-1] - arrivals[0] >= 0.45


def test_without_requests_per_minute_nothing_is_paced(tmp_path: Path) -> None:
    assert client_for(_endpoint(tmp_path), Recorder()).pacer is None


# -- AIMD -----------------------------------------------------------------------------------------------------


def test_a_429_halves_the_limit_once_per_generation_never_below_one() -> None:
    limiter = ConcurrencyLimiter(8)
    epoch = limiter.epoch

    limiter.rate_limited(epoch)
    limiter.rate_limited(epoch)  # sent under the old limit too: the same congestion, not a second halving
    assert limiter.limit == 4
    for _ in range(5):
        limiter.rate_limited(limiter.epoch)
    assert limiter.limit == 1


def test_a_streak_of_successes_adds_one_back_up_to_the_ceiling() -> None:
    limiter = ConcurrencyLimiter(4)
    limiter.rate_limited(limiter.epoch)
    assert limiter.limit == 2

    limiter.succeeded()
    assert limiter.limit == 2
    limiter.succeeded()
    assert limiter.limit == 3  # a streak as long as the limit
    for _ in range(20):
        limiter.succeeded()
    assert (limiter.limit, limiter.ceiling) == (4, 4)


def test_a_429_breaks_the_streak() -> None:
    limiter = ConcurrencyLimiter(4)
    limiter.rate_limited(limiter.epoch)
    limiter.succeeded()
    limiter.rate_limited(limiter.epoch)  # 2 → 1
    limiter.succeeded()
    assert limiter.limit == 2


def test_setting_the_limit_sets_the_ceiling() -> None:
    limiter = ConcurrencyLimiter(4)
    limiter.limit = 6
    limiter.rate_limited(limiter.epoch)
    for _ in range(20):
        limiter.succeeded()
    assert (limiter.limit, limiter.ceiling) == (6, 6)


@pytest.mark.anyio
async def test_the_client_lowers_its_concurrency_on_429_and_counts_what_it_sent(tmp_path: Path, send: Send) -> None:
    endpoint = _endpoint(tmp_path, "max_concurrency: 8")
    recorder = Recorder(replies=[
        httpx.Response(429, json=error_body("429", "slow down"), headers={"retry-after-ms": "10"}),
        httpx.Response(500, json=error_body("500")),
        httpx.Response(200, json=ok_body()),
    ])  # fmt: skip
    client = client_for(endpoint, recorder)
    tally = CallTally()
    token = call_tally.set(tally)
    try:
        result = await send(client, request_for(endpoint))
    finally:
        call_tally.reset(token)

    assert result.attempts == 3
    assert (tally.attempts, tally.retries, tally.rate_limited) == (3, 2, 1)
    assert client.limiter.limit == 4


# -- the retry budget -----------------------------------------------------------------------------------------


def test_the_budget_is_the_larger_of_its_floor_and_its_share_of_requests() -> None:
    budget = RetryBudget(floor=3, ratio=0.5)
    for _ in range(10):
        budget.started()
    assert budget.allowed == 5
    assert [budget.spend() for _ in range(6)] == [True] * 5 + [False]
    budget.started()
    budget.started()
    assert budget.spend() is False  # once refused, spent for good: the run is stopping


def _dead(tmp_path: Path) -> tuple[ImagesClient, Recorder]:
    endpoint = _endpoint(tmp_path)
    recorder = Recorder(replies=[httpx.Response(503, json=error_body("503", "gone"), headers={"x-request-id": "r-7"})])
    return client_for(endpoint, recorder, FAST), recorder


@pytest.mark.anyio
async def test_a_dead_endpoint_stops_the_run_when_its_retry_budget_is_spent(tmp_path: Path, send: Send) -> None:
    client, recorder = _dead(tmp_path)
    errors: list[ExecutionError] = []
    token = retry_budget.set(RetryBudget(floor=4, ratio=0))
    try:
        for _ in range(4):  # FAST: 3 attempts (2 retries) each, while the budget lasts
            with pytest.raises(ExecutionError) as caught:
                await send(client, request_for(client.endpoint))
            errors.append(caught.value)
    finally:
        retry_budget.reset(token)

    first, second, third, fourth = errors
    assert [(e.attempts, e.status, e.request_id) for e in (first, second)] == [(3, 503, "r-7")] * 2
    assert "budget" not in str(first) + str(second)
    assert "not retried: the run's retry budget is spent (4 retries for 3 requests" in str(third)
    assert (third.attempts, third.status, third.request_id, third.deployment) == (1, 503, "r-7", client.endpoint.name)
    assert "not sent: the run stopped after spending its retry budget" in str(fourth)
    assert recorder.count == 3 + 3 + 1


def _spent() -> RetryBudget:
    budget = RetryBudget(floor=0, ratio=0)
    budget.spend()
    return budget


@pytest.mark.anyio
async def test_once_spent_nothing_more_is_sent(tmp_path: Path, send: Send) -> None:
    client, recorder = _dead(tmp_path)
    token = retry_budget.set(_spent())
    try:
        with pytest.raises(ExecutionError) as caught:
            await send(client, request_for(client.endpoint))
    finally:
        retry_budget.reset(token)

    assert recorder.count == 0
    assert caught.value.deployment == client.endpoint.name
    assert "not sent: the run stopped after spending its retry budget" in str(caught.value)


def test_a_timeout_is_the_deployments_and_is_retried(tmp_path: Path) -> None:
    endpoint = _endpoint(tmp_path, "timeout: 0.2")
    recorder = Recorder(replies=[httpx.ReadTimeout("timed out"), httpx.Response(200, json=ok_body())])
    client = client_for(endpoint, recorder, FAST)

    started = time.monotonic()
    result = client.generate(request_for(endpoint))

    assert client._client().timeout.read == 0.2
    assert (result.attempts, recorder.count) == (2, 2)
    assert time.monotonic() - started < 2
