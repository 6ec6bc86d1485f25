"""The enforced RPM limit: Azure's 1 s and 10 s windows, exact retry-after-ms, x-ratelimit-* on every answer."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import httpx
import pytest
from emulator_helpers import GENERATIONS

from promptlib.client._client import ImagesClient, RetryPolicy
from promptlib.emulator import AsyncASGITransport, EmulatorConfig, FaultConfig, create_app
from promptlib.emulator._ratelimit import RateLimiter, allowances

pytestmark = pytest.mark.anyio
BODY = {"prompt": "A red kite", "quality": "low", "size": "1024x1024"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allowances_per_window() -> None:
    assert allowances(600) == (10, 100)  # Azure's example: more than 10 in a second is limited
    assert allowances(60) == (1, 10)
    assert allowances(6) == (1, 1)  # the gpt-image-1 default: one request per 10 s


def test_the_one_second_window() -> None:
    clock = Clock()
    limiter = RateLimiter(120, clock)  # 2 per second, 20 per 10 s
    assert [limiter.admit()[0] for _ in range(3)] == [0, 0, pytest.approx(1.0)]
    clock.now += 0.4
    wait, headers = limiter.admit()
    assert wait == pytest.approx(0.6) and headers["x-ratelimit-remaining-requests"] == "0"
    clock.now += 0.6
    wait, headers = limiter.admit()
    assert wait == 0 and headers["x-ratelimit-limit-requests"] == "120"


def test_the_ten_second_window() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)  # 1 per second, 10 per 10 s
    for _ in range(10):
        assert limiter.admit()[0] == 0
        clock.now += 1.0
    # 10 s after the first, the first has left both windows: admitted; a request 0.5 s later is not.
    wait, headers = limiter.admit()
    assert wait == 0 and headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"] == "10"
    clock.now += 0.5
    assert limiter.admit()[0] == pytest.approx(0.5)


def test_ten_second_window_binds_before_the_one_second_one() -> None:
    clock = Clock()
    limiter = RateLimiter(600, clock)  # 10 per second, 100 per 10 s
    for _ in range(10):
        for _ in range(10):
            assert limiter.admit()[0] == 0
        clock.now += 1.0
    clock.now -= 0.5  # 9.5 s after the first burst; a second later per-second allowance is fine, 10 s is not
    assert limiter.admit()[0] == pytest.approx(0.5)


async def test_headers_on_every_answer_and_failed_requests_count() -> None:
    faults = FaultConfig(rpm=120, script=("500", "ok"))
    app = create_app(EmulatorConfig(faults=faults))
    async with httpx.AsyncClient(transport=AsyncASGITransport(app=app), base_url="http://e") as client:
        failed = await client.post(GENERATIONS, json=BODY)
        ok = await client.post(GENERATIONS, json=BODY)
        limited = await client.post(GENERATIONS, json=BODY)
        await anyio.sleep(1.0)  # the 1-second window frees up; the 404 still counts and gets the headers
        not_found = await client.post("/nowhere")
    assert [failed.status_code, ok.status_code, limited.status_code, not_found.status_code] == [500, 200, 429, 404]
    for response in (failed, ok, limited, not_found):
        assert response.headers["x-ratelimit-limit-requests"] == "120"
        assert {"x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"} <= set(response.headers)
    remaining = [response.headers["x-ratelimit-remaining-requests"] for response in (failed, ok)]
    assert remaining == ["1", "0"]
    wait_ms = int(limited.headers["retry-after-ms"])
    assert 0 < wait_ms <= 1000 and limited.headers["retry-after"] == "1"
    assert [r.fault for r in app.requests] == ["500", None, "ratelimit", None]
    assert app.requests[2].retry_after_ms == wait_ms


def test_the_client_waits_out_the_limit_and_never_arrives_early(tmp_path: Path) -> None:
    from promptlib.client._requests import ImageRequest
    from promptlib.config._settings import load_settings
    from promptlib.deployments import endpoint_for
    from promptlib.emulator import SyncASGITransport
    from promptlib.models._parameters import ImageParameters

    (tmp_path / "promptlib.yaml").write_text(
        "deployments:\n  local: {kind: emulator, faults: {rpm: 120}}\n", encoding="utf-8"
    )  # 2 per second: even a loaded machine sends the third inside the first second
    endpoint = endpoint_for(load_settings(tmp_path), "local")
    client = ImagesClient(endpoint, RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.05, wait_jitter=0))
    params = ImageParameters(size="1024x1024", quality="low")
    started = time.perf_counter()
    for i in range(4):
        client.generate(ImageRequest("generate", f"Kite {i}", params, "local", "gpt-image-1.5"))
    assert time.perf_counter() - started >= 0.99  # the 3rd and 4th had to wait for the 1-second window
    assert isinstance(endpoint.transport, SyncASGITransport)
    records = endpoint.transport._transport.app.requests  # type: ignore[attr-defined]
    assert sum(r.fault == "ratelimit" for r in records) >= 1 and sum(r.status == 200 for r in records) == 4
    for index, record in enumerate(records):
        if record.retry_not_before is not None:
            later = records[index + 1 :]
            assert all(r.received_at >= record.retry_not_before - 0.002 for r in later)
