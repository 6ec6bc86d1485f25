"""Faults on demand: each fault by rate (seeded, reproducible) and by script, on every transport.

What a client sees must match what it would see from a real, failing deployment: 429s with a wait to honour,
transient 5xx, connections closed with no answer, garbled 200s and bodies that never arrive in time.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from emulator_helpers import GENERATIONS
from PIL import Image

from promptlib.client._client import ImagesClient, RetryPolicy
from promptlib.client._requests import ImageRequest
from promptlib.config._settings import load_settings
from promptlib.deployments import endpoint_for
from promptlib.emulator import (
    FAULTS,
    AsyncASGITransport,
    EmulatorConfig,
    FaultConfig,
    SyncASGITransport,
    create_app,
    parse_fail_rate,
    parse_latency,
    parse_script,
    running_emulator,
)
from promptlib.emulator._faults import FaultPlan
from promptlib.models._parameters import ImageParameters

pytestmark = pytest.mark.anyio

BODY = {"prompt": "A red kite", "quality": "low", "size": "1024x1024"}
RATES = {"429": 0.3, "500": 0.1, "503": 0.05, "drop": 0.05, "badjson": 0.02, "truncate": 0.02, "slow": 0.01,
         "filter": 0.02, "garble": 0.02}  # fmt: skip


def scripted(*steps: str, **options: object) -> EmulatorConfig:
    return EmulatorConfig(faults=FaultConfig(script=steps, **options))  # type: ignore[arg-type]


# -- by rate -------------------------------------------------------------------------------------------------


def test_rates_give_the_asked_proportions_and_a_seed_replays_them_exactly() -> None:
    def run(seed: int | None) -> list[str]:
        plan = FaultPlan(FaultConfig(fail_rate=RATES), seed)
        return [plan.next()[0] for _ in range(20_000)]

    first, again, other = run(7), run(7), run(8)
    assert first == again and first != other
    counts = Counter(first)
    for name, rate in RATES.items():
        assert abs(counts[name] / 20_000 - rate) < 0.01, (name, counts[name])
    assert abs(counts["ok"] / 20_000 - (1 - sum(RATES.values()))) < 0.015


async def test_rates_through_the_app_are_recorded_and_reproducible() -> None:
    config = EmulatorConfig(seed=3, faults=FaultConfig(fail_rate={"429": 0.4, "500": 0.2, "503": 0.2}))

    async def run() -> list[tuple[str | None, int | None]]:
        app = create_app(config)
        async with httpx.AsyncClient(transport=AsyncASGITransport(app=app), base_url="http://e") as client:
            for _ in range(30):
                await client.post(GENERATIONS, json=BODY)
        return [(r.fault, r.status) for r in app.requests]

    first = await run()
    assert first == await run()
    assert {fault for fault, _ in first} == {None, "429", "500", "503"}
    assert all(status == (200 if fault is None else int(fault)) for fault, status in first)


def test_a_script_runs_first_then_rates() -> None:
    plan = FaultPlan(FaultConfig(script=("429", "ok", "drop"), fail_rate={"500": 1.0}), seed=None)
    assert [plan.next()[0] for _ in range(5)] == ["429", "ok", "drop", "500", "500"]


# -- each fault on the wire, in-process (async and sync transports) ----------------------------------------


async def test_injected_429_carries_retry_after_ms_and_retry_after() -> None:
    app = create_app(scripted("429", "ok", retry_after_ms=1500))
    async with httpx.AsyncClient(transport=AsyncASGITransport(app=app), base_url="http://e") as client:
        throttled = await client.post(GENERATIONS, json=BODY)
        ok = await client.post(GENERATIONS, json=BODY)
    assert throttled.status_code == 429
    assert throttled.headers["retry-after-ms"] == "1500" and throttled.headers["retry-after"] == "2"
    assert throttled.json()["error"]["code"] == "429" and throttled.headers["x-request-id"]
    assert ok.status_code == 200
    first = app.requests[0]
    assert first.fault == "429" and first.retry_after_ms == 1500
    assert first.retry_not_before is not None and first.retry_not_before >= first.received_at + 1.5


async def test_5xx_faults_use_azure_envelopes() -> None:
    app = create_app(scripted("500", "503"))
    async with httpx.AsyncClient(transport=AsyncASGITransport(app=app), base_url="http://e") as client:
        answers = [await client.post(GENERATIONS, json=BODY) for _ in range(2)]
    assert [a.status_code for a in answers] == [500, 503]
    assert [a.json()["error"]["code"] for a in answers] == ["InternalServerError", "ServiceUnavailable"]


async def test_bad_json_and_truncated_base64_are_200s_a_client_cannot_use() -> None:
    app = create_app(scripted("badjson", "truncate", "ok"))
    async with httpx.AsyncClient(transport=AsyncASGITransport(app=app), base_url="http://e") as client:
        bad, cut, ok = [await client.post(GENERATIONS, json=BODY) for _ in range(3)]
    assert bad.status_code == cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad.content)
    short, full = cut.json()["data"][0]["b64_json"], ok.json()["data"][0]["b64_json"]
    assert full.startswith(short) and len(short) < len(full) // 2 + 4
    with pytest.raises(OSError), Image.open(io.BytesIO(base64.b64decode(short, validate=True))) as image:
        image.load()
    assert [r.fault for r in app.requests] == ["badjson", "truncate", None]


async def test_drop_and_slow_surface_as_httpx_errors_through_the_async_transport() -> None:
    app = create_app(scripted("drop", "slow", "slow", slow_ms=300))
    transport = AsyncASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e", timeout=0.1) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(GENERATIONS, json=BODY)
        with pytest.raises(httpx.ReadTimeout):
            await client.post(GENERATIONS, json=BODY)
        late = await client.post(GENERATIONS, json=BODY, timeout=5)  # patient enough: slow, but complete
    assert late.status_code == 200 and late.json()["data"][0]["b64_json"]
    assert [r.fault for r in app.requests] == ["drop", "slow", "slow"]


def test_drop_and_slow_surface_as_httpx_errors_through_the_sync_transport() -> None:
    app = create_app(scripted("drop", "slow", "ok", slow_ms=2000))
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://e", timeout=0.1) as client:
        # closed without an answer: a clean close or a reset, depending on whether the body was still unread
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post(GENERATIONS, json=BODY)
        started = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            client.post(GENERATIONS, json=BODY)
        assert time.perf_counter() - started < 1
        assert client.post(GENERATIONS, json=BODY, timeout=30).status_code == 200


def test_drop_and_slow_on_a_served_emulator() -> None:
    app = create_app(scripted("drop", "slow", "ok", slow_ms=5000))
    # generous timeouts except where the stall is the point: a loaded CI machine must not turn "ok" into a timeout
    with running_emulator(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(GENERATIONS, json=BODY)
        with pytest.raises(httpx.ReadTimeout):
            client.post(GENERATIONS, json=BODY, timeout=0.5)
        assert client.post(GENERATIONS, json=BODY).status_code == 200
    # The slow handler noticed the client leaving, so shutting down did not wait out slow_ms.
    assert [(r.fault, r.status) for r in app.requests] == [("drop", None), ("slow", 200), (None, 200)]


def test_served_slow_headers_arrive_before_the_body() -> None:
    app = create_app(scripted("slow", slow_ms=1500))
    with running_emulator(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        started = time.perf_counter()
        with client.stream("POST", GENERATIONS, json=BODY) as response:
            headers_after = time.perf_counter() - started
            body = response.read()
        body_after = time.perf_counter() - started
    assert response.status_code == 200 and headers_after < 1.2 <= body_after and json.loads(body)["data"]


async def test_fixed_and_random_latency() -> None:
    app = create_app(scripted(latency_ms=60))
    async with httpx.AsyncClient(transport=AsyncASGITransport(app=app), base_url="http://e") as client:
        started = time.perf_counter()
        await client.post("/nowhere")
        assert time.perf_counter() - started >= 0.06
    draws = [FaultPlan(FaultConfig(latency_ms=(10, 30)), seed=5).next()[1] for _ in range(2)]
    plan = FaultPlan(FaultConfig(latency_ms=(10, 30)), seed=5)
    spread = [plan.next()[1] for _ in range(200)]
    assert draws[0] == draws[1] == spread[0] and all(0.01 <= d <= 0.03 for d in spread) and len(set(spread)) > 100


def test_no_faults_means_no_extra_layers() -> None:
    assert not FaultConfig().injects and FaultConfig(latency_ms=1).injects and FaultConfig(script=("ok",)).injects
    assert len(create_app(EmulatorConfig()).user_middleware) == 2  # request log and body limits only


# -- specs ---------------------------------------------------------------------------------------------------


def test_spec_parsers() -> None:
    assert parse_fail_rate("429=0.3, drop=0.05") == {"429": 0.3, "drop": 0.05}
    assert parse_latency("50") == 50 and parse_latency("20-200") == (20, 200)
    assert parse_script("429,ok,drop") == ("429", "ok", "drop") and parse_script(["500", "ok"]) == ("500", "ok")
    for bad in ("429", "429=x", "429=1.5", "teapot=0.1", "429=0.6,500=0.6", "429=0.1,429=0.1", ""):
        with pytest.raises(ValueError):
            parse_fail_rate(bad)
    for bad in ("fast", "-5", "30-10", "nan"):
        with pytest.raises(ValueError):
            parse_latency(bad)
    with pytest.raises(ValueError, match="teapot"):
        FaultConfig(fail_rate={"teapot": 0.1})
    assert set(FAULTS) == set(RATES)


# -- promptlib's client against a faulty in-process deployment (promptlib.yaml) ------------------------------

POLICY = RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.05, wait_jitter=0)


def _client(tmp_path: Path, faults: dict[str, object]) -> ImagesClient:
    config = {"deployments": {"local": {"kind": "emulator", "seed": 11, "faults": faults}}}
    (tmp_path / "promptlib.yaml").write_text(json.dumps(config), encoding="utf-8")
    return ImagesClient(endpoint_for(load_settings(tmp_path), "local"), POLICY)


def _request(prompt: str) -> ImageRequest:
    params = ImageParameters(size="1024x1024", quality="low")
    return ImageRequest(operation="generate", prompt=prompt, parameters=params, deployment="local",
                        model="gpt-image-1.5")  # fmt: skip


def _app(client: ImagesClient) -> object:
    transport = client.endpoint.transport
    assert isinstance(transport, SyncASGITransport)
    return transport._transport.app


def test_the_client_retries_bad_json_and_truncated_base64_then_succeeds(tmp_path: Path) -> None:
    client = _client(tmp_path, {"script": ["badjson", "truncate", "ok"], "latency_ms": 1})
    result = client.generate(_request("A kite over a harbour, retried"))
    assert result.attempts == 3 and result.images[0].width == 1024
    records = _app(client).requests  # type: ignore[attr-defined]
    assert [r.fault for r in records] == ["badjson", "truncate", None]


async def test_the_async_client_retries_drops_and_5xx(tmp_path: Path) -> None:
    client = _client(tmp_path, {"script": ["drop", "503", "ok"]})
    result = await client.agenerate(_request("A kite over a harbour, async"))
    assert result.attempts == 3
    await client.aclose()


def test_the_client_never_retries_before_retry_after_ms(tmp_path: Path) -> None:
    client = _client(tmp_path, {"script": ["429", "429", "ok"], "retry_after_ms": 150})
    started = time.perf_counter()
    result = client.generate(_request("A kite over a harbour, throttled"))
    assert result.attempts == 3 and time.perf_counter() - started >= 0.3
    records = _app(client).requests  # type: ignore[attr-defined]
    for earlier, later in itertools.pairwise(records):
        assert earlier.retry_not_before is not None
        assert later.received_at >= earlier.retry_not_before - 0.002  # clock granularity only


def test_bad_faults_in_promptlib_yaml_are_config_errors(tmp_path: Path) -> None:
    from promptlib.exceptions import ConfigError

    for faults in ({"fail_rate": {"429": 0.8, "500": 0.5}}, {"fail_rate": {"teapot": 0.1}}, {"latency": 5},
                   {"latency_ms": [30, 10]}, {"script": ["nope"]}, {"rpm": 0}):  # fmt: skip
        config = {"deployments": {"local": {"kind": "emulator", "faults": faults}}}
        (tmp_path / "promptlib.yaml").write_text(json.dumps(config), encoding="utf-8")
        with pytest.raises(ConfigError):
            load_settings(tmp_path)
    (tmp_path / "promptlib.yaml").write_text(
        "deployments:\n  local:\n    kind: emulator\n"
        "    faults: {latency_ms: [5, 9], fail_rate: {429: 0.3, drop: 0.05}, retry_after_ms: 300, rpm: 60}\n",
        encoding="utf-8",
    )
    faults = load_settings(tmp_path).deployment("local").faults  # type: ignore[union-attr]
    emulated = faults.to_emulator()
    assert emulated.fail_rate == {"429": 0.3, "drop": 0.05} and emulated.latency_range == (5, 9)
    assert emulated.rpm == 60 and emulated.retry_after_ms == 300


# -- the CLI ---------------------------------------------------------------------------------------------------


def test_serve_flags_parse_and_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    from promptlib import emulator
    from promptlib.cli import cli

    served: list[EmulatorConfig] = []
    monkeypatch.setattr(emulator, "serve", lambda config, host, port: served.append(config))
    flags = ["--seed", "4", "--fail-rate", "429=0.5,500=0.25,drop=0.25", "--retry-after-ms", "250",
             "--latency-ms", "1-2", "--rpm", "6000", "--fault-script", "truncate"]  # fmt: skip
    result = CliRunner().invoke(cli, ["emulator", "serve", *flags])
    assert result.exit_code == 0, result.output
    (config,) = served
    assert config.faults.fail_rate == {"429": 0.5, "500": 0.25, "drop": 0.25} and config.seed == 4
    app = create_app(config)
    with running_emulator(app) as base, httpx.Client(base_url=base) as client:
        for _ in range(12):
            try:
                response = client.post(GENERATIONS, json=BODY)
                assert response.headers["x-ratelimit-limit-requests"] == "6000"
            except httpx.RemoteProtocolError:
                pass
    faults = [r.fault for r in app.requests]
    assert faults[0] == "truncate" and set(faults[1:]) == {"429", "500", "drop"}
    assert next(r for r in app.requests if r.fault == "429").retry_after_ms == 250


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--fail-rate", "429=0.3,teapot=0.1"], "error: --fail-rate: expected FAULT=RATE"),
        (["--fail-rate", "429=0.9,500=0.2"], "error: --fail-rate: rates add up to 1.1"),
        (["--latency-ms", "slow"], "error: --latency-ms: expected N or LOW-HIGH"),
        (["--fault-script", "429,maybe"], "error: --fault-script: unknown step 'maybe'"),
    ],
)
def test_bad_fault_flags_are_one_line_usage_errors(flags: list[str], message: str) -> None:
    from promptlib.cli import cli

    result = CliRunner().invoke(cli, ["emulator", "serve", *flags])
    assert result.exit_code == 2
    assert result.output.strip().startswith(message) and len(result.output.strip().splitlines()) == 1
