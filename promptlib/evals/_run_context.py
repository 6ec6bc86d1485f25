"""What every case of one eval run shares, and the run's options.

The sample work that costs CPU or disk (reading and writing the result cache, placing samples in the run,
hashing them) runs here, off the event loop, so the requests in flight never wait for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread

from promptlib._library import Library
from promptlib.client._client import ImagesClient
from promptlib.client._requests import ImageRequest
from promptlib.client._results import GeneratedImage, GenerationResult
from promptlib.core._cpu import cpu_limiter, run_cpu
from promptlib.evals._budget import Budget
from promptlib.evals._cache import ResultCache, write_failure
from promptlib.evals._expectations import unchanged_outside_mask
from promptlib.evals._run_dir import RunDirectory, place
from promptlib.evals._suites import GOLDENS_DIR
from promptlib.evals._text_check import TextReading
from promptlib.exceptions import ExecutionError
from promptlib.goldens._fingerprints import FingerprintCache
from promptlib.goldens._hashing import ImageFingerprint, fingerprint
from promptlib.goldens._population import GoldenHashes
from promptlib.goldens._store import GoldenStore

CacheMode = Literal["use", "refresh", "off"]


@dataclass(frozen=True)
class EvalOptions:
    deployment: str | None = None
    samples: int | None = None
    concurrency: int | None = None
    cache: CacheMode = "use"
    max_cost: float | None = None  # USD: stop sending once spend (plus what is in flight) would pass it


def golden_store(library: Library, *, memo: bool = True) -> GoldenStore:
    """The project's goldens; with `memo`, golden fingerprints are remembered in .promptlib/cache."""
    settings = library.settings
    memo = memo and settings.committed_state is None  # a committed cache may be forged: never read it
    fingerprints = FingerprintCache(settings.state_dir / "cache" / "fingerprints") if memo else None
    return GoldenStore(settings.evals_dir / GOLDENS_DIR, settings.state_dir / "locks", fingerprints)


def result_cache(library: Library) -> ResultCache:
    return ResultCache(library.settings.state_dir / "cache")


class RunContext:
    """What every case of one run shares: goldens, caches, budget, clients, and the off-loop sample work."""

    def __init__(self, library: Library, run: RunDirectory, options: EvalOptions) -> None:
        self.library = library
        self.run = run
        self.committed_state = library.settings.committed_state
        # caches committed with the checkout may be forged (a result no model drew): the run uses none
        self.options = replace(options, cache="off") if self.committed_state is not None else options
        options = self.options
        self.store = golden_store(library, memo=options.cache != "off")  # --no-cache writes nothing there
        self.cache = result_cache(library)
        self.budget = Budget(options.max_cost) if options.max_cost is not None else None
        self.fingerprints = self.store.fingerprints or FingerprintCache(
            library.settings.state_dir / "cache" / "fingerprints"
        )
        self.text = TextReading(library.settings.state_dir, memo=options.cache != "off", limiter=cpu_limiter())
        self._golden_hashes: GoldenHashes | None = None
        self.cache_error: OSError | None = None
        self._own_clients: dict[str, ImagesClient] = {}

    def warnings(self) -> list[str]:
        """Run-level problems that cost nothing but speed: a cache that could not be written."""
        failed = self.cache_error or self.fingerprints.write_error
        committed = [self.committed_state] if self.committed_state is not None else []
        return committed + ([write_failure(failed)] if failed is not None else [])

    async def sample_fingerprint(
        self, image: GeneratedImage, path: Path, request: ImageRequest
    ) -> tuple[ImageFingerprint, float | None]:
        """Put the sample into the run (a hard link to its cache entry when there is one: runs share bytes;
        no fsync: runs are disposable), fingerprint it and, for an edit, measure what stayed outside the mask:
        all off the event loop, so decoding never stalls the requests in flight."""

        def work() -> tuple[ImageFingerprint, float | None]:
            off = self.options.cache == "off"
            cached = None if off else self.cache.image_file(request.request_hash, image.index, image.extension)
            place(path, source=cached, data=image.data)
            # --no-cache: nothing read from or written to .promptlib/cache
            memo = None if off else self.fingerprints
            fp = fingerprint(image.data, image.sha256) if memo is None else memo.fingerprint(image.data, image.sha256)
            return fp, unchanged_outside_mask(image, request) if request.operation == "edit" else None

        try:
            return await run_cpu(work)
        except ValueError as exc:  # a sample the service sent that does not decode after all
            message = f"sample {image.index} cannot be hashed: {exc}"
            raise ExecutionError(message, deployment=request.deployment) from None

    async def cached(self, request: ImageRequest) -> GenerationResult | None:
        """The stored result of ``request`` (its images read and checked against their sha256 off the loop)."""
        return await anyio.to_thread.run_sync(self.cache.get, request)

    async def remember(self, generation: GenerationResult) -> None:
        """Store a paid-for result (atomic, fsynced writes: a thread's job); a cache that fails is said once."""
        if self.options.cache == "off" or self.cache_error is not None:
            return
        try:
            await anyio.to_thread.run_sync(self.cache.put, generation)
        except OSError as exc:  # the images are paid for: keep the run going, say so once
            self.cache_error = exc

    def others(self, suite: str, case: str) -> Sequence[dict[str, int]]:
        """Other cases' golden hashes, read once per run (calibration is recomputed, never trusted)."""
        if self._golden_hashes is None:
            self._golden_hashes = self.store.golden_hashes(strict=False)
        return self.store.others(suite, case, self._golden_hashes)

    def client(self, name: str) -> ImagesClient:
        """The Library's client for ``name``, or with --concurrency a client of the run's own (same endpoint and
        retry policy, its own limit): the option changes this run, not every other user of the Library."""
        shared = self.library.clients.get(name)
        if not self.options.concurrency:
            return shared
        own = self._own_clients.get(name)
        if own is None:
            own = self._own_clients[name] = ImagesClient(
                shared.endpoint, shared.retry, concurrency=self.options.concurrency
            )
        return own

    async def aclose(self) -> None:
        for client in self._own_clients.values():
            await client.aclose()
