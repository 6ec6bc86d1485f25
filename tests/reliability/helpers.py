"""A throwaway project whose one deployment is the served emulator (an azure-openai deployment, key from env)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from click.testing import Result

from promptlib.client._client import RetryPolicy
from promptlib.testing import client_options

KEY = "reliability-key-0123456789"
TEMPLATE = """\
version: 1
description: A numbered tile for load tests.
operation: generate
variables:
  i: {type: integer, required: true}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: A small lighthouse on a cliff at dusk, tile number {{ i }}.
"""


def write_project(root: Path, url: str, cases: int, samples: int, limits: str) -> None:
    (root / "prompts" / "load").mkdir(parents=True)
    (root / "evals").mkdir()
    (root / "promptlib.yaml").write_text(
        "prompts: prompts\nevals: evals\ndefault_deployment: served\ndeployments:\n"
        f"  served:\n    kind: azure-openai\n    endpoint: {url}\n    deployment: images\n    model: gpt-image-1\n"
        "    auth: {type: api-key, env: AZURE_OPENAI_API_KEY}\n"
        + "".join(f"    {line}\n" for line in limits.strip().splitlines()),
        encoding="utf-8",
    )
    (root / "prompts" / "load" / "tile.yaml").write_text(TEMPLATE, encoding="utf-8")
    rows = "".join(f"  - id: tile-{i:03d}\n    prompt: load/tile\n    variables: {{i: {i}}}\n" for i in range(cases))
    (root / "evals" / "load.yaml").write_text(
        f"samples: {samples}\npolicy: {{min_matches: 1, max_samples: {samples}}}\ncases:\n{rows}", encoding="utf-8"
    )


def use_retry_policy(stack: ExitStack, policy: RetryPolicy) -> None:
    """Every client the project's library makes retries by ``policy`` (short backoffs keep the tests quick),
    through the public seam `promptlib.testing.client_options`, until the test's ``stack`` closes."""
    stack.enter_context(client_options(retry=policy))


def run_eval(invoke: Callable[..., Result], *args: str) -> dict[str, Any]:
    """``promptlib eval --json``: results.json as printed (exit 1: cases without goldens are `new`)."""
    result = invoke("eval", "--json", *args)
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout[result.stdout.index("{\n") :])
    return data


@dataclass
class Attempt:
    """One HTTP attempt as the client saw it (wall-clock times, to compare with the emulator's log)."""

    prompt: str
    sent_at: float
    answered_at: float
    status: int | None = None  # None: the connection failed
    request_id: str | None = None
    retry_after_ms: float | None = None


class WatchingTransport(httpx.AsyncBaseTransport):
    """The real network transport, noting each attempt's prompt, times, status and request id."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.attempts: list[Attempt] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        prompt = str(json.loads(request.content)["prompt"])
        sent = time.time()
        try:
            response = await self.inner.handle_async_request(request)
        except Exception:
            self.attempts.append(Attempt(prompt, sent, time.time()))
            raise
        wait = response.headers.get("retry-after-ms")
        self.attempts.append(
            Attempt(
                prompt,
                sent,
                time.time(),
                response.status_code,
                response.headers.get("x-request-id"),
                float(wait) if wait else None,
            )
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def watch_requests(stack: ExitStack, policy: RetryPolicy) -> WatchingTransport:
    """Like ``use_retry_policy``, and every client sends through one WatchingTransport."""
    watcher = WatchingTransport()
    stack.enter_context(client_options(retry=policy, transport=watcher))
    return watcher
