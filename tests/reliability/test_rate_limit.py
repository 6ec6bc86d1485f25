"""Acceptance: against an emulator enforcing 60 requests per minute, a run goes at close to that rate.

The emulator enforces Azure's windows (1 per second, 10 per 10 s at 60 RPM) and answers 429 past them. With
``requests_per_minute: 60`` the client paces its sends ~1.03 s apart, so the run should see at most a few
429s and reach at least 85% of the allowed rate. N=30 keeps the test near 30 s; 120 requests would take
about 120 × 1.03 s ≈ 2 minutes at the same rate.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import Result

from promptlib._library import Library
from promptlib.client._client import RetryPolicy
from promptlib.emulator import EmulatorConfig, FaultConfig, create_app, running_emulator
from promptlib.prompts._lock import update_lock

from .helpers import KEY, run_eval, watch_requests, write_project

# PROMPTLIB_RPM_REQUESTS=120 runs the full figure (about two minutes); CI runs 30.
N, RPM = int(os.environ.get("PROMPTLIB_RPM_REQUESTS", "30")), 60
POLICY = RetryPolicy(attempts=6, timeout=120, wait_initial=0.1, wait_max=2, wait_jitter=0.1)


def test_a_paced_run_goes_at_close_to_the_allowed_rate_without_429s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Callable[..., Result], stack: ExitStack
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    watch_requests(stack, POLICY)
    app = create_app(EmulatorConfig(api_key=KEY, seed=7, faults=FaultConfig(rpm=RPM)))
    with running_emulator(app) as url:
        write_project(tmp_path, url, N, 1, f"max_concurrency: 4\nrequests_per_minute: {RPM}")
        update_lock(Library.load(tmp_path))
        monkeypatch.chdir(tmp_path)
        data = run_eval(invoke, "load")
    records = app.requests

    assert [c["status"] for c in data["cases"]] == ["new"] * N
    admitted = sorted(r.received_at for r in records if r.status == 200)
    throttled = [r for r in records if r.status == 429]
    assert len(admitted) == N
    rate = (N - 1) / (admitted[-1] - admitted[0])  # requests per second between the first and the last
    allowed = RPM / 60
    gaps = [b - a for a, b in pairwise(admitted)]
    print(
        f"\n{N} requests at {RPM} RPM: {rate:.3f}/s = {rate / allowed:.1%} of the allowed {allowed:g}/s, "
        f"{len(throttled)} 429s, {data['totals']['retries']} retries, gaps {min(gaps):.3f}–{max(gaps):.3f} s, "
        f"wall {data['totals']['wall_time_s']:.1f} s (120 requests: ~{120 / rate:.0f} s)"
    )
    assert len(throttled) <= 3
    assert data["totals"]["rate_limited"] == len(throttled)
    assert rate >= 0.85 * allowed
