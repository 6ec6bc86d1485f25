"""One eval case from render to verdict: render, draw K samples (through the cache), hash and compare them.

The case's requests go through its deployment's client; everything that costs CPU or disk per sample is
handed to the run's context, which does it off the event loop.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from promptlib.client._client import ImagesClient
from promptlib.client._limits import CallTally, call_tally
from promptlib.client._requests import ImageRequest
from promptlib.client._results import GeneratedImage, GenerationResult
from promptlib.core._image_files import ImageRefused, header
from promptlib.core._redact import redact
from promptlib.core._safe_text import shell_command
from promptlib.evals._budget import BUDGET_MESSAGE, BudgetExhausted, request_cost
from promptlib.evals._case_verdict import blocked, conclude, decide, filtered_note
from promptlib.evals._cases import EvalCase
from promptlib.evals._expectations import PIXEL_TOLERANCE, expectation_failures
from promptlib.evals._results import CaseResult, SampleResult
from promptlib.evals._run_context import RunContext
from promptlib.evals._run_dir import place
from promptlib.evals._text_check import case_texts, sample_text
from promptlib.exceptions import ContentBlocked, GoldenError, PromptlibError
from promptlib.goldens._compare import Calibration, Policy, SampleComparison, compare_sample
from promptlib.goldens._hashing import ImageFingerprint
from promptlib.goldens._manifest import MANIFEST, CaseManifest, calibration_mismatch
from promptlib.goldens._store import check_golden_sizes
from promptlib.prompts._rendered import RenderedPrompt

log = logging.getLogger("promptlib.http")


class CaseRun:
    """One case from render to verdict."""

    def __init__(self, ctx: RunContext, case: EvalCase) -> None:
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
            blocked(self.result, exc, expected=self.case.expect.outcome == "blocked")
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
        decision = decide(self.result, self.policy)
        if decision == "top-up":
            await self._draw(
                client,
                rendered,
                self.policy.samples,
                self.policy.max_samples - self.policy.samples,
                manifest,
                calibration,
            )
        approve = shell_command("promptlib", "approve", self.ctx.run.run_id, "--case", case.key)
        conclude(
            self.result,
            self.policy,
            goldens=manifest is not None,
            filtered=self.filtered,
            approve=approve,
            texts=self.texts,
        )

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
            self.filtered.append(filtered_note(generation))
        for image in generation.images:
            index = start + image.index
            path = self.ctx.run.sample_path(self.case.suite, self.case.id, index, image.extension)
            fp, unchanged = await self.ctx.sample_fingerprint(image, path, request)
            self._record(index, path, image, fp, request, manifest, calibration, generation.cached, unchanged)
            if self.texts:
                await self._read_text(index, image)

    async def _read_text(self, index: int, image: GeneratedImage) -> None:
        """OCR one sample (off the event loop, cached by sha256) and record what it read against the texts."""
        readings = await self.ctx.text.read(image, self.texts)
        sample = next(s for s in self.result.samples if s.index == index)
        sample.text = sample_text(self.texts, readings)

    async def _fetch(self, client: ImagesClient, request: ImageRequest) -> GenerationResult:
        mode, result = self.ctx.options.cache, self.result
        if mode == "use":
            hit = await self.ctx.cached(request)
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
        await self.ctx.remember(generation)
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


def _relative(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
