"""Acceptance: a 200-image eval against the served emulator misbehaving in every way it can.

30% 429 (retry-after-ms 50), 10% 500, 5% dropped connections, 2% malformed JSON and 2% truncated base64:
about half of all attempts fail. The run must end with every case in a definite status, every sample
accounted for, no crash, and no retry arriving before the wait its 429 asked for (the emulator's log has
each request's arrival time and, for a 429, the earliest time a retry was allowed).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import Result

from promptlib._library import Library
from promptlib.client._client import RetryPolicy
from promptlib.emulator import EmulatorConfig, FaultConfig, create_app, running_emulator
from promptlib.prompts._lock import update_lock

from .helpers import KEY, run_eval, watch_requests, write_project

CASES, K = 40, 5  # one request of n=5 per case: 200 images
FAULTS = {"429": 0.30, "500": 0.10, "drop": 0.05, "badjson": 0.02, "truncate": 0.02}
# Half of all attempts fail: 12 attempts leave a request ~0.02% odds of failing every one.
POLICY = RetryPolicy(attempts=12, timeout=60, wait_initial=0.02, wait_max=0.2, wait_jitter=0.02)


def test_a_200_image_eval_survives_a_hostile_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Callable[..., Result], stack: ExitStack
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    watcher = watch_requests(stack, POLICY)
    app = create_app(
        EmulatorConfig(api_key=KEY, seed=5, faults=FaultConfig(fail_rate=FAULTS, retry_after_ms=50, latency_ms=(5, 30)))
    )
    started = time.monotonic()
    with running_emulator(app) as url:
        write_project(tmp_path, url, CASES, K, "max_concurrency: 6")
        update_lock(Library.load(tmp_path))
        monkeypatch.chdir(tmp_path)
        data = run_eval(invoke, "load")
    wall = time.monotonic() - started
    records = app.requests

    cases = data["cases"]
    assert len(cases) == CASES
    statuses = defaultdict(int)
    for case in cases:
        statuses[case["status"]] += 1
        if case["status"] == "new":  # no goldens yet: drawn in full
            assert [s["index"] for s in case["samples"]] == list(range(K)), case["key"]
            assert all(s["width"] == s["height"] == 1024 for s in case["samples"])
        else:  # the only other way out: a clear error naming the deployment and what went wrong
            assert case["status"] == "error", case
            assert "deployment 'served'" in case["message"] and "HTTP" in case["message"], case["message"]
    assert statuses["new"] >= CASES - 2, dict(statuses)

    # No retry came early. The emulator's log: a 429 is answered before the body is read, so its record has no
    # prompt; the client-side watcher maps its request id back to the prompt. Per prompt, in arrival order, the
    # attempt after a 429 must arrive no sooner than that 429's retry_not_before.
    prompt_of = {a.request_id: a.prompt for a in watcher.attempts if a.request_id}
    by_prompt: dict[str, list[float | None]] = defaultdict(list)
    margins: list[float] = []
    for record in sorted(records, key=lambda r: r.received_at):
        prompt = record.prompt or prompt_of.get(record.request_id)
        if prompt is None:
            assert record.fault == "drop", record  # only a dropped connection never tells its request id
            continue
        previous = by_prompt[prompt]
        if previous and previous[-1] is not None:
            margins.append(record.received_at - previous[-1])
        previous.append(record.retry_not_before)
    rate_limited = [r for r in records if r.status == 429]
    assert len(margins) >= len(rate_limited) * 0.9  # every retried 429 checked (bar one followed by a drop)
    assert min(margins) >= -0.002, f"a retry arrived {-min(margins) * 1000:.1f} ms before its 429 allowed"
    # The same from the client's side, drops included: the next send waited the full retry-after-ms.
    client_margins: list[float] = []
    last: dict[str, float] = {}
    for attempt in sorted(watcher.attempts, key=lambda a: a.sent_at):
        if attempt.prompt in last:
            client_margins.append(attempt.sent_at - last.pop(attempt.prompt))
        if attempt.status == 429 and attempt.retry_after_ms is not None:
            last[attempt.prompt] = attempt.answered_at + attempt.retry_after_ms / 1000
    assert min(client_margins) >= 0

    # What the run counted is what the emulator saw.
    totals = data["totals"]
    sent = len(records)
    assert totals["images"] == K * statuses["new"]
    assert totals["requests"] + totals["retries"] >= sent - 1  # a dropped request may be logged without an answer
    assert totals["rate_limited"] == len(rate_limited)
    # Each drawn case is one request; a case that ended in an error counts its request when one was answered.
    assert statuses["new"] <= totals["requests"] <= CASES
    assert totals["requests"] == sum(case["requests"] for case in cases)
    print(
        f"\n200-image hostile eval: {sent} HTTP requests for {totals['requests']} results, "
        f"{totals['retries']} retries, "
        f"{totals['rate_limited']} 429s, statuses {dict(statuses)}; min margin after a 429 "
        f"{min(margins) * 1000:.1f} ms; wall {wall:.1f} s"
    )
