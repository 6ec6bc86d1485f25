"""No paying twice for one slow image: against a served emulator that stalls its answers (the `slow` fault), a
read timeout is retried once, counted against the run's retry budget and shown in the summary; a second one
for the same request is not retried. The default read timeout is the openai SDK's 600 s."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import Result

from promptlib._library import Library
from promptlib.client._client import RetryPolicy
from promptlib.config._deployment_entries import EmulatorDeployment
from promptlib.emulator import EmulatorConfig, FaultConfig, create_app, running_emulator
from promptlib.prompts._lock import update_lock

from .helpers import KEY, run_eval, use_retry_policy, write_project

POLICY = RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.05, wait_jitter=0)
#: Stalls well past the deployment's 0.5 s read timeout, so a timed-out attempt is unmistakable.
STALL = FaultConfig(slow_ms=5_000)


def _eval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Callable[..., Result], stack: ExitStack,
          script: tuple[str, ...]) -> tuple[dict[str, object], list[str | None]]:  # fmt: skip
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    use_retry_policy(stack, POLICY)
    app = create_app(EmulatorConfig(api_key=KEY, faults=FaultConfig(script=script, slow_ms=STALL.slow_ms)))
    with running_emulator(app) as url:
        write_project(tmp_path, url, cases=1, samples=1, limits="timeout: 0.5")
        update_lock(Library.load(tmp_path))
        monkeypatch.chdir(tmp_path)
        data = run_eval(invoke, "load")
    return data, [record.fault for record in app.requests]


def test_one_read_timeout_is_retried_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Callable[..., Result], stack: ExitStack
) -> None:
    data, faults = _eval(tmp_path, monkeypatch, invoke, stack, ("slow", "ok"))

    assert faults == ["slow", None]
    (case,) = data["cases"]  # type: ignore[attr-defined]
    assert case["status"] == "new" and case["read_timeouts"] == 1 and case["retries"] == 1
    assert data["totals"]["read_timeouts"] == 1  # type: ignore[index]
    run_dir = tmp_path / ".promptlib" / "runs" / str(data["run_id"])
    assert "The service needed 1 retries (0 rate-limited, 1 read timeout)." in (run_dir / "summary.md").read_text()


def test_a_second_read_timeout_is_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Callable[..., Result], stack: ExitStack
) -> None:
    data, faults = _eval(tmp_path, monkeypatch, invoke, stack, ("slow", "slow", "ok"))

    assert faults == ["slow", "slow"]  # the third attempt was never sent
    (case,) = data["cases"]  # type: ignore[attr-defined]
    assert case["status"] == "error" and case["read_timeouts"] == 2
    assert "no answer within the read timeout (0.5 s)" in case["message"]
    assert "not retried again: a request that timed out may still be generated and billed" in case["message"]


def test_the_default_read_timeout_is_the_sdks() -> None:
    assert EmulatorDeployment(kind="emulator").timeout == 600.0
