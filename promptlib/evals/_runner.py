"""Running eval cases: draw K samples, check them, compare with goldens, decide.

Each case renders its template, draws K samples in one request (through the
cache), checks expectations, compares every sample with the case's golden set
using the calibrated thresholds, and applies m-of-K with one top-up when the
first draw is ambiguous. Cases run concurrently under the deployment's limits;
hashing runs in worker threads so it does not stall the requests in flight.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread

from promptlib._library import Library
from promptlib.client._client import ImagesClient
from promptlib.client._limits import CallTally, RetryBudget, call_tally, retry_budget
from promptlib.client._requests import ImageRequest
from promptlib.client._results import GeneratedImage, GenerationResult
from promptlib.core._clock import utc_now
from promptlib.core._image_files import ImageRefused, header
from promptlib.core._redact import redact
from promptlib.core._safe_text import shell_command
from promptlib.evals._budget import BUDGET_MESSAGE, Budget, BudgetExhausted, request_cost
from promptlib.evals._cache import ResultCache, write_failure
from promptlib.evals._cases import EvalCase
from promptlib.evals._expectations import PIXEL_TOLERANCE, expectation_failures, unchanged_outside_mask
from promptlib.evals._results import CaseResult, RunResult, SampleResult
from promptlib.evals._run_dir import RunDirectory, place
from promptlib.evals._suites import GOLDENS_DIR
from promptlib.evals._text_check import TextReading, case_texts, sample_text, text_failure, text_verdict
from promptlib.exceptions import ContentBlocked, GoldenError, PromptlibError
from promptlib.goldens._compare import MATCHED, Calibration, Policy, SampleComparison, compare_sample
from promptlib.goldens._fingerprints import FingerprintCache
from promptlib.goldens._hashing import ImageFingerprint, fingerprint, spec
from promptlib.goldens._manifest import MANIFEST, CaseManifest, calibration_mismatch
from promptlib.goldens._store import GoldenStore, check_golden_sizes
from promptlib.prompts._rendered import RenderedPrompt

CacheMode = Literal["use", "refresh", "off"]
log = logging.getLogger("promptlib.http")


@dataclass(frozen=True)
class EvalOptions:
    deployment: str | None = None
    samples: int | None = None
    concurrency: int | None = None
    cache: CacheMode = "use"
    max_cost: float | None = None  # USD: stop sending once spend (plus what is in flight) would pass it


ProgressCallback = Callable[[CaseResult], None]


def golden_store(library: Library, *, memo: bool = True) -> GoldenStore:
    """The project's goldens; with `memo`, golden fingerprints are remembered in .promptlib/cache."""
    settings = library.settings
    fingerprints = FingerprintCache(settings.state_dir / "cache" / "fingerprints") if memo else None
    return GoldenStore(settings.evals_dir / GOLDENS_DIR, settings.state_dir / "locks", fingerprints)


def result_cache(library: Library) -> ResultCache:
    return ResultCache(library.settings.state_dir / "cache")


class _Context:
    """What every case of one run shares."""

    def __init__(self, library: Library, run: RunDirectory, options: EvalOptions) -> None:
        self.library = library
        self.run = run
        self.options = options
        self.store = golden_store(library, memo=options.cache != "off")  # --no-cache writes nothing there
        self.cache = result_cache(library)
        self.budget = Budget(options.max_cost) if options.max_cost is not None else None
        self.fingerprints = self.store.fingerprints or FingerprintCache(
            library.settings.state_dir / "cache" / "fingerprints"
        )
        # Hashing is CPU-bound: one worker per core, not anyio's default of 40 threads fighting for 2 cores.
        self.cpu = anyio.CapacityLimiter(max(1, os.cpu_count() or 1))
        self.text = TextReading(library.settings.state_dir, memo=options.cache != "off", limiter=self.cpu)
        self._golden_hashes: dict[tuple[str, str], list[dict[str, int]]] | None = None
        self.cache_error: OSError | None = None
        self._own_clients: dict[str, ImagesClient] = {}

    def warnings(self) -> list[str]:
        """Run-level problems that cost nothing but speed: a cache that could not be written."""
        failed = self.cache_error or self.fingerprints.write_error
        return [write_failure(failed)] if failed is not None else []

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
            fp = fingerprint(image.data) if off else self.fingerprints.fingerprint(image.data, image.sha256)
            return fp, unchanged_outside_mask(image, request) if request.operation == "edit" else None

        return await anyio.to_thread.run_sync(work, limiter=self.cpu)

    def others(self, suite: str, case: str) -> list[dict[str, int]]:
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


async def run_cases(
    library: Library,
    cases: Sequence[EvalCase],
    run: RunDirectory,
    options: EvalOptions,
    *,
    full_run: bool,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Run every case concurrently and collect the results (never raises for a case's failure)."""
    ctx = _Context(library, run, options)
    started = time.perf_counter()
    results: list[CaseResult] = []

    async def one(case: EvalCase) -> None:
        result = await _CaseRun(ctx, case).run()
        results.append(result)
        if progress is not None:
            progress(result)

    budget_token = retry_budget.set(RetryBudget())  # one budget for all the run's requests (see _limits)
    try:
        async with anyio.create_task_group() as group:
            for case in cases:
                group.start_soon(one, case)
    finally:
        retry_budget.reset(budget_token)
        await ctx.aclose()
        await library.aclose()
    unused: list[str] = []
    if full_run:
        existing = {(c.suite, c.id) for c in cases}
        unused = [f"{suite}/{case}" for suite, case in ctx.store.cases() if (suite, case) not in existing]
    from importlib.metadata import version

    return RunResult(
        run_id=run.run_id,
        created_at=utc_now(),
        deployments=sorted({r.deployment for r in results if r.deployment}),
        full_run=full_run,
        hash_spec=spec(),
        cases=results,
        unused_goldens=unused,
        warnings=ctx.warnings(),
        emulated={
            name: library.settings.deployment(name).model
            for name in sorted({r.deployment for r in results if r.deployment})
            if library.settings.deployment(name).kind == "emulator"
        },
        wall_time_s=time.perf_counter() - started,
        promptlib_version=version("promptlib"),
    )


class _CaseRun:
    """One case from render to verdict."""

    def __init__(self, ctx: _Context, case: EvalCase) -> None:
        self.ctx = ctx
        self.case = case
        policy = case.policy
        if ctx.options.samples:
            k = ctx.options.samples
            policy = Policy(samples=k, min_matches=min(policy.min_matches, k), max_samples=max(policy.max_samples, k))
        self.policy = policy
        self.filtered: list[str] = []  # notes on images the output filter removed from otherwise good answers
        self.texts: list[Any] = []  # TextExpectation: what every sample must show (`expect.text`, `text_from`)
        self.result = CaseResult(
            suite=case.suite,
            case=case.id,
            template_id=case.template_id,
            expected_outcome=case.expect.outcome,
            suite_path=_relative(case.path, ctx.library.settings.root),
            line=case.line,
            policy={"samples": policy.samples, "min_matches": policy.min_matches, "max_samples": policy.max_samples},
        )

    async def run(self) -> CaseResult:
        try:
            await self._run()
        except BudgetExhausted:
            self.result.status, self.result.message = "skipped", BUDGET_MESSAGE
        except ContentBlocked as exc:
            self._blocked(exc)
        except PromptlibError as exc:
            self.result.status, self.result.message = "error", redact(str(exc))
        return self.result

    async def _run(self) -> None:
        result, case = self.result, self.case
        template = self.ctx.library.get(case.template_id)
        rendered = template.render(case.variables)
        result.version, result.content_hash = rendered.version, rendered.content_hash
        result.operation, result.prompt = rendered.operation, rendered.prompt
        result.parameters = rendered.parameters.to_wire()
        result.inputs = self._copy_inputs(rendered)
        self.texts = case_texts(case.expect, rendered.variables)
        if self.texts:
            self.ctx.text.reader()  # OcrUnavailable (an error saying how to install it) before anything is sent
        settings = self.ctx.library.settings
        name = settings.deployment_name(self.ctx.options.deployment, case.deployment or rendered.deployment)
        client = self.ctx.client(name)
        result.deployment, result.model = name, client.endpoint.model
        manifest, broken = self._goldens(rendered)
        calibration = manifest.calibration_value() if manifest else None
        await self._draw(client, rendered, 0, self.policy.samples, manifest, calibration)
        if broken is not None:  # the samples are still drawn, so the case can be re-approved from this run
            result.status, result.message = "error", redact(str(broken))
            return
        if case.expect.outcome == "blocked":
            result.status, result.message = "failed", "expected the safety system to block this prompt, but it did not"
            return
        decision = self._decide()
        if decision == "top-up":
            await self._draw(
                client,
                rendered,
                self.policy.samples,
                self.policy.max_samples - self.policy.samples,
                manifest,
                calibration,
            )
        self._conclude(manifest, calibration)

    def _goldens(self, rendered: RenderedPrompt) -> tuple[CaseManifest | None, GoldenError | None]:
        """The case's checked golden set, or the problem that makes it unusable."""
        case = self.case
        try:
            manifest = self.ctx.store.load(case.suite, case.id)
            if manifest is not None:
                mismatch = calibration_mismatch(manifest, self.ctx.others(case.suite, case.id))
                if mismatch is not None:
                    raise GoldenError(mismatch, path=self.ctx.store.case_dir(case.suite, case.id) / MANIFEST)
                size = rendered.parameters.size
                check_golden_sizes(self.ctx.store, manifest, case.expect.size or (size if size != "auto" else None))
                self._note_goldens(manifest, rendered)
        except GoldenError as exc:
            return None, exc
        return manifest, None

    async def _draw(
        self,
        client: ImagesClient,
        rendered: RenderedPrompt,
        start: int,
        n: int,
        manifest: CaseManifest | None,
        calibration: Calibration | None,
    ) -> None:
        name = client.endpoint.name
        request = ImageRequest.from_rendered(
            rendered,
            deployment=name,
            model=client.endpoint.model,
            sample=start,
            n=n,
            variant=self.ctx.library.settings.deployment(name).output_identity(),
        )
        if start == 0:
            self.result.request_hash = request.request_hash
        tally = CallTally()
        tally_token = call_tally.set(tally)
        try:
            generation = await self._fetch(client, request)
        finally:
            call_tally.reset(tally_token)
            self.result.retries += tally.retries
            self.result.requests += 1 if tally.attempts else 0  # sent, whatever came back (a 400 counts too)
            self.result.rate_limited += tally.rate_limited
            self.result.read_timeouts += tally.read_timeouts
        if generation.cached:
            log.info(
                "%s cache hit %s (%d images)", client.endpoint.name, request.request_hash[:12], len(generation.images)
            )
        if generation.filtered:
            self.filtered.append(_filtered_note(generation))
        for image in generation.images:
            index = start + image.index
            path = self.ctx.run.sample_path(self.case.suite, self.case.id, index, image.extension)
            fp, unchanged = await self.ctx.sample_fingerprint(image, path, request)
            self._record(index, path, image, fp, request, manifest, calibration, generation.cached, unchanged)
            if self.texts:
                await self._read_text(index, image)

    async def _read_text(self, index: int, image: GeneratedImage) -> None:
        """OCR one sample (off the event loop, cached by sha256) and record what it read against the texts."""
        reading = await self.ctx.text.read(image)
        sample = next(s for s in self.result.samples if s.index == index)
        sample.text = sample_text(self.texts, reading)

    async def _fetch(self, client: ImagesClient, request: ImageRequest) -> GenerationResult:
        cache, mode, result = self.ctx.cache, self.ctx.options.cache, self.result
        if mode == "use":
            hit = cache.get(request)
            if hit is not None:
                result.cache_hits += 1
                result.estimated_cost += hit.estimated_cost
                return hit
        price = self.ctx.library.settings.price(client.endpoint.name)
        budget, estimate = self.ctx.budget, request_cost(request, price)
        if budget is not None:
            budget.reserve(estimate)  # raises BudgetExhausted: nothing is sent
        try:
            generation = await client.agenerate(request)
        except BaseException:
            if budget is not None:
                budget.settle(estimate, 0.0)
            raise
        if budget is not None:
            budget.settle(estimate, generation.cost)
        result.cost += generation.cost
        result.estimated_cost += generation.estimated_cost
        result.tokens += generation.usage.total_tokens if generation.usage else 0
        if mode != "off" and self.ctx.cache_error is None:
            try:
                cache.put(generation)
            except OSError as exc:  # the images are paid for: keep the run going, say so once
                self.ctx.cache_error = exc
        return generation

    def _record(
        self,
        index: int,
        path: Path,
        image: GeneratedImage,
        fp: ImageFingerprint,
        request: ImageRequest,
        manifest: CaseManifest | None,
        calibration: Calibration | None,
        cached: bool,
        unchanged: float | None = None,
    ) -> None:
        comparison = SampleComparison("unchecked", note="no goldens")
        if manifest is not None and calibration is not None:
            comparison = compare_sample(
                fp.sha256,
                fp.hashes,
                manifest.golden_hashes(),
                manifest.rejected_hashes(),
                calibration,
                fp.degenerate_reason,
            )
        elif fp.degenerate_reason:
            comparison = SampleComparison("blank", note=fp.degenerate_reason)
        nearest = None
        if manifest is not None and comparison.nearest is not None:
            golden = manifest.goldens[comparison.nearest]
            nearest = self.ctx.run.relative(self.ctx.run.golden_copy_path(self.case.suite, self.case.id, golden.file))
        self.result.samples.append(
            SampleResult(
                index=index,
                file=self.ctx.run.relative(path),
                sha256=fp.sha256,
                width=fp.width,
                height=fp.height,
                format=fp.format,
                mode=fp.mode,
                hashes=fp.hex(),
                verdict=comparison.verdict,
                nearest_golden=nearest,
                distances=comparison.distances,
                votes=comparison.votes,
                note=comparison.note,
                failures=expectation_failures(self.case.expect, image, request, fp.transparent, unchanged),
                cached=cached,
                outside_mask=None
                if unchanged is None
                else {"unchanged": round(unchanged, 4), "tolerance": PIXEL_TOLERANCE},
            )
        )
        self.result.samples.sort(key=lambda s: s.index)

    def _copy_inputs(self, rendered: RenderedPrompt) -> list[dict[str, Any]]:
        """An edit's image(s) and mask, into the run beside its samples: "did it keep the product?" needs them."""
        inputs = []
        for image in rendered.images:
            try:
                found = header(image.data)
            except ImageRefused:
                continue
            target = self.ctx.run.input_path(
                self.case.suite, self.case.id, image.name, "jpg" if found.format == "jpeg" else found.format
            )
            place(target, data=image.data)  # a copy: project files can be edited in place, goldens cannot
            inputs.append(
                {
                    "name": image.name,
                    "role": image.role,
                    "file": self.ctx.run.relative(target),
                    "width": found.width,
                    "height": found.height,
                }
            )
        return inputs

    def _note_goldens(self, manifest: CaseManifest, rendered: RenderedPrompt) -> None:
        result, run = self.result, self.ctx.run
        calibration = manifest.calibration_value()
        result.sensitivity, result.thresholds = calibration.sensitivity, calibration.thresholds
        for golden in manifest.goldens:
            source = self.ctx.store.image_path(self.case.suite, self.case.id, golden)
            target = run.golden_copy_path(self.case.suite, self.case.id, golden.file)
            place(target, source=source)  # goldens are never rewritten in place: the run shares their bytes
            result.goldens.append(
                {
                    "file": run.relative(target),
                    "sha256": golden.sha256,
                    "width": golden.width,
                    "height": golden.height,
                    "approved_by": golden.approved_by,
                    "approved_at": golden.approved_at,
                }
            )
        if manifest.template.content_hash != rendered.content_hash or manifest.prompt != rendered.prompt:
            result.changed_since_approval = {
                "from_version": manifest.template.version,
                "to_version": rendered.version,
                "old_prompt": manifest.prompt,
                "new_prompt": rendered.prompt,
            }

    def _decide(self) -> Literal["pass", "fail", "top-up"]:
        samples = self.result.samples
        matches = sum(s.verdict in MATCHED for s in samples)
        self.result.matches, self.result.drawn = matches, len(samples)
        if self.result.sensitivity == "low" or not self.result.goldens:
            return "pass"
        return self.policy.decide(matches, len(samples))

    def _conclude(self, manifest: CaseManifest | None, calibration: Calibration | None) -> None:
        result = self.result
        decision = self._decide()
        degenerate = [s for s in result.samples if s.verdict == "blank"]
        rejected = [s for s in result.samples if s.verdict == "looks-rejected"]
        failures = sorted({f for s in result.samples for f in s.failures})
        if self.texts:
            result.text = text_verdict(self.texts, result.samples, self.policy.min_matches)
            failures += [failure] if (failure := text_failure(result.text)) else []
        result.warnings = sorted({s.note for s in result.samples if s.note.startswith("palette drift")}
                                 | set(self.filtered))  # fmt: skip
        if result.text is not None and text_failure(result.text) is None:
            result.warnings += result.text.misses  # within m of K, but a reviewer should see what was misread
        changed = result.changed_since_approval
        suffix = ""
        if changed and changed["from_version"] != changed["to_version"]:
            suffix = f"; changed since approval: v{changed['from_version']} → v{changed['to_version']}"
        elif changed:
            suffix = f"; changed since approval: v{changed['to_version']} (content changed, version not bumped)"
        if degenerate:
            result.status, result.message = "degenerate", f"blank or uniform output: {degenerate[0].note}"
        elif rejected:
            result.status, result.message = "failed", rejected[0].note
        elif failures:
            result.status, result.message = "failed", "; ".join(failures)
        elif manifest is None:
            command = shell_command("promptlib", "approve", self.ctx.run.run_id, "--case", self.case.key)
            result.status, result.message = "new", f"no goldens yet; review the samples, then: {command}"
        elif result.sensitivity == "low":
            result.status = "passed"
            result.message = (
                "low sensitivity: hashes cannot tell good from bad for this case; checked only for "
                "blank output, look-alikes of rejected images and expectations"
            )
        elif decision == "pass":
            result.status, result.message = "passed", f"{result.matches} of {result.drawn} samples match the goldens"
        else:
            result.status = "failed"
            result.message = f"only {result.matches} of {result.drawn} samples match the goldens"
        result.message += suffix

    def _blocked(self, exc: ContentBlocked) -> None:
        result = self.result
        what = f"blocked by the safety system ({exc.code or 'no code'})"
        if self.case.expect.outcome == "blocked":
            result.status, result.message = "passed", f"{what}, as expected"
        else:
            result.status, result.message = "blocked", f"{what}; if this is intended, set expect: {{outcome: blocked}}"


def _relative(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _filtered_note(generation: GenerationResult) -> str:
    """Say that the output filter removed some of a request's images; the case is judged on the rest."""
    categories = sorted({c for f in generation.filtered for c in f.categories})
    why = f" ({', '.join(categories)})" if categories else ""
    total = len(generation.images) + len(generation.filtered)
    return (f"the output filter removed {len(generation.filtered)} of {total} images{why}; the case is judged on "
            "the others")  # fmt: skip
