"""The eval runner keeps its event loop free: decoding, hashing and the result cache's reads and writes run in
worker threads, at most one CPU-bound one per core, so the requests in flight never wait for them."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from project_helpers import Project

from promptlib.client import _client
from promptlib.core._cpu import cores
from promptlib.evals._cache import ResultCache
from promptlib.evals._cases import select_cases
from promptlib.evals._results import RunResult
from promptlib.evals._run_dir import RunDirectory
from promptlib.evals._runner import EvalOptions, run_cases
from promptlib.goldens._fingerprints import FingerprintCache


class Threads:
    """Which threads ran each watched function, and how many ran it at once (the calls go through)."""

    def __init__(self) -> None:
        self.seen: dict[str, set[int]] = defaultdict(set)
        self.running: dict[str, int] = defaultdict(int)
        self.most: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def watch(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.seen[name].add(threading.get_ident())
                self.running[name] += 1
                self.most[name] = max(self.most[name], self.running[name])
            try:
                return func(*args, **kwargs)
            finally:
                with self._lock:
                    self.running[name] -= 1

        return watched


def run(project: Project, options: EvalOptions) -> tuple[RunResult, int]:
    library = project.library()
    cases, full = select_cases(library, [])
    loop_thread = 0

    async def main() -> RunResult:
        nonlocal loop_thread
        loop_thread = threading.get_ident()
        return await run_cases(library, cases, RunDirectory.create(project.root / "runs"), options, full_run=full)

    return anyio.run(main), loop_thread


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Threads:
    watched = Threads()
    monkeypatch.setattr(_client, "decode_images", watched.watch("decode", _client.decode_images))
    monkeypatch.setattr(ResultCache, "get", watched.watch("cache read", ResultCache.get))
    monkeypatch.setattr(ResultCache, "put", watched.watch("cache write", ResultCache.put))
    monkeypatch.setattr(FingerprintCache, "fingerprint", watched.watch("hash", FingerprintCache.fingerprint))
    return watched


def test_decoding_hashing_and_caching_run_off_the_event_loop(project: Project, threads: Threads) -> None:
    result, loop_thread = run(project, EvalOptions())
    assert result.cases and all(case.status in ("new", "passed") for case in result.cases), result.cases
    for name in ("decode", "cache read", "cache write", "hash"):
        assert threads.seen[name], f"{name} never ran"
        assert loop_thread not in threads.seen[name], f"{name} ran on the event loop"


def test_hashing_runs_at_most_one_thread_per_core(project: Project, threads: Threads) -> None:
    run(project, EvalOptions(concurrency=8))
    assert 1 <= threads.most["hash"] <= cores()
    assert threads.most["decode"] <= cores()
