"""Playground generations: each one a run directory, streamed to the page as it is made.

A generation draws K samples, one streamed request each (`ImagesClient.astream`: partial images as they arrive),
into `.promptlib/playground/<run-id>/`, laid out like an eval run (`RunDirectory`, `results.json` as a `RunResult`
with one case), so `promptlib approve` and the History page read it with the same code. Each sample is compared
with the chosen case's goldens exactly as the eval does (`compare_sample` with the calibrated thresholds, the
case's m-of-K policy), and the samples' own pairwise hash distances give the variant's spread.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.client._client import ImagesClient
from promptlib.client._requests import ImageRequest
from promptlib.client._results import GeneratedImage, GenerationResult
from promptlib.client._streaming import PartialImage, check_streamable
from promptlib.core._atomic import atomic_write_text
from promptlib.core._bounded import IMAGE_LIMIT, TEXT_LIMIT, ReadRefused, read_bytes
from promptlib.core._image_files import ImageRefused, header
from promptlib.core._redact import redact
from promptlib.evals._cases import EvalCase, select_cases
from promptlib.evals._expectations import PIXEL_TOLERANCE, unchanged_outside_mask
from promptlib.evals._results import CaseResult, RunResult, SampleResult
from promptlib.evals._run_dir import RunDirectory, place
from promptlib.evals._runner import golden_store
from promptlib.exceptions import GoldenError, PromptlibError
from promptlib.goldens._compare import MATCHED, SampleComparison, compare_sample
from promptlib.goldens._hashing import VOTING, distance, fingerprint, parse_hex
from promptlib.goldens._store import CaseManifest, calibration_mismatch
from promptlib.prompts._rendered import RenderedPrompt
from promptlib.web._play_state import PlayState

PARTIAL_IMAGES = 2
PLAYGROUND_SUITE = "playground"


def playground_root(library: Library) -> Path:
    return library.settings.state_dir / "playground"


def cases_of(library: Library, template_id: str) -> list[EvalCase]:
    """The eval cases that run this template: the goldens a sample can be judged against."""
    return [case for case in select_cases(library, [])[0] if case.template_id == template_id]


@dataclass
class LiveRun:
    """A generation in flight: its events so far (replayed to a page that connects late) and a wake-up."""

    run_id: str
    path: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def emit(self, kind: str, **data: Any) -> None:
        self.events.append({"event": kind, **data})
        self.changed.set()


class Generation:
    """One variant's K samples on one deployment, judged against one case's goldens."""

    def __init__(self, library: Library, state: PlayState, rendered: RenderedPrompt, case: EvalCase | None) -> None:
        self.library, self.state, self.rendered, self.case = library, state, rendered, case
        self.run = RunDirectory.create(playground_root(library))
        self.live = LiveRun(self.run.run_id, self.run.path)
        self.suite, self.case_id = (case.suite, case.id) if case else (PLAYGROUND_SUITE, _slug(rendered.template_id))
        self.result = CaseResult(
            suite=self.suite, case=self.case_id, template_id=rendered.template_id, version=rendered.version,
            content_hash=rendered.content_hash, operation=rendered.operation, prompt=rendered.prompt,
            parameters=rendered.parameters.to_wire(), policy=_policy(case),
        )  # fmt: skip
        self.manifest: CaseManifest | None = None

    async def run_all(self) -> None:
        """Draw every sample, then write results.json; problems end the run with a message, never a traceback."""
        try:
            self._copy_inputs()
            self._load_goldens()
            client, first = self.library.clients.request_for(self.rendered, self.state.deployment or None)
            self.result.deployment, self.result.model, self.result.request_hash = (
                client.endpoint.name, client.endpoint.model, first.request_hash)  # fmt: skip
            for index in range(self.state.samples):
                await self._sample(client, index)
            self._conclude()
        except PromptlibError as exc:
            self.result.status, self.result.message = "error", redact(str(exc))
        self._write()
        self.live.done = True
        self.live.emit("done", status=self.result.status, message=self.result.message)

    def _copy_inputs(self) -> None:
        """An edit's image and mask into the run (`inputs/`): the record of what was sent, and what "run again"
        sends."""
        for image in self.rendered.images:
            target = self.run.path / "inputs" / f"{image.name}.{_extension(image.data)}"
            place(target, data=image.data)
            self.result.inputs.append({"name": image.name, "role": image.role, "file": self.run.relative(target)})

    def _load_goldens(self) -> None:
        if self.case is None:
            return
        store = golden_store(self.library)
        manifest = store.load(self.case.suite, self.case.id)
        if manifest is not None and calibration_mismatch(manifest, store.others(self.case.suite, self.case.id)):
            raise GoldenError(f"the goldens of {self.case.key} are not calibrated as their images say; run check")
        self.manifest = manifest
        if manifest is not None:
            calibration = manifest.calibration_value()
            self.result.sensitivity, self.result.thresholds = calibration.sensitivity, calibration.thresholds
            for golden in manifest.goldens:
                target = self.run.golden_copy_path(self.suite, self.case_id, golden.file)
                place(target, source=store.image_path(self.suite, self.case_id, golden))
                self.result.goldens.append({"file": self.run.relative(target), "sha256": golden.sha256,
                                            "width": golden.width, "height": golden.height})  # fmt: skip

    async def _sample(self, client: ImagesClient, index: int) -> None:
        request = ImageRequest.from_rendered(
            self.rendered, deployment=client.endpoint.name, model=client.endpoint.model, sample=index, n=1,
            variant=self.library.settings.deployment(client.endpoint.name).output_identity(),
        )  # fmt: skip
        generation = await self._stream(client, request, index)
        self.result.requests += 1
        self.result.cost += generation.cost
        self.result.estimated_cost += generation.estimated_cost
        for image in generation.images[:1]:
            self._record(index, image, request)

    async def _stream(self, client: ImagesClient, request: ImageRequest, index: int) -> GenerationResult:
        """Partial images to the page as they arrive; a request the model cannot stream is sent plainly."""
        try:
            check_streamable(client, request, PARTIAL_IMAGES)
        except PromptlibError:
            return await client.agenerate(request)
        final: GenerationResult | None = None
        async for event in client.astream(request, PARTIAL_IMAGES):
            if isinstance(event, PartialImage):
                name = f"partials/s{index}-p{event.index}.{event.image.extension}"
                place(self.run.path / name, data=event.image.data)
                self.live.emit("partial", sample=index, partial=event.index, file=name)
            else:
                final = event
        if final is None:
            raise PromptlibError("the stream ended without a final image")
        return final

    def _record(self, index: int, image: GeneratedImage, request: ImageRequest) -> None:
        path = self.run.sample_path(self.suite, self.case_id, index, image.extension)
        place(path, data=image.data)
        fp = fingerprint(image.data)
        comparison = SampleComparison("unchecked", note="no goldens" if self.case else "no case chosen")
        if self.manifest is not None:
            comparison = compare_sample(
                fp.sha256, fp.hashes, self.manifest.golden_hashes(), self.manifest.rejected_hashes(),
                self.manifest.calibration_value(), fp.degenerate_reason,
            )  # fmt: skip
        unchanged = unchanged_outside_mask(image, request) if request.operation == "edit" else None
        sample = SampleResult(
            index=index, file=self.run.relative(path), sha256=fp.sha256, width=fp.width, height=fp.height,
            format=fp.format, mode=fp.mode, hashes=fp.hex(), verdict=comparison.verdict, distances=comparison.distances,
            votes=comparison.votes, note=comparison.note,
            outside_mask=_outside(unchanged),
        )  # fmt: skip
        self.result.samples.append(sample)
        self.live.emit("sample", sample=index, file=sample.file, verdict=sample.verdict)

    def _conclude(self) -> None:
        """The CI gate's verdict on these samples: the case's m-of-K policy over the same comparisons."""
        result = self.result
        result.drawn = len(result.samples)
        result.matches = sum(s.verdict in MATCHED for s in result.samples)
        if self.case is None or self.manifest is None:
            result.status = "new"
            result.message = "no goldens to judge against" if self.case else "choose a case to judge against"
            return
        need = self.case.policy.min_matches
        would = "pass" if result.matches >= need or result.sensitivity == "low" else "fail"
        result.status = "passed" if would == "pass" else "failed"
        result.message = f"would {would}: {result.matches} of {result.drawn} match (the gate needs {need})"

    def _write(self) -> None:
        run = RunResult(run_id=self.run.run_id, created_at=_now(), cases=[self.result])
        atomic_write_text(self.run.path / "results.json", json.dumps(run.to_json(), indent=2))
        state = self.state.to_json() | {"uploaded": sorted(self.state.images)}
        atomic_write_text(self.run.path / "playground.json", json.dumps(state, indent=2))


def _extension(data: bytes) -> str:
    try:
        found = header(data).format
    except ImageRefused:
        return "bin"
    return "jpg" if found == "jpeg" else found


def state_from_run(library: Library, run_id: str) -> PlayState | None:
    """The state a run was made from (`playground.json`), its image inputs read back from the run; None when
    the id names no readable playground run."""
    root = playground_root(library)
    if not run_id or "/" in run_id or run_id.startswith(".") or not (root / run_id / "playground.json").is_file():
        return None
    path = root / run_id
    try:
        data = json.loads(read_bytes(path / "playground.json", within=path, limit=TEXT_LIMIT))
        state = PlayState(**{k: v for k, v in data.items() if k in PlayState.__dataclass_fields__})
        for name in data.get("uploaded", []):
            found = next(path.joinpath("inputs").glob(f"{name}.*"), None) if str(name).isidentifier() else None
            if found is not None:
                state.images[name] = read_bytes(found, within=path, limit=IMAGE_LIMIT)
    except (OSError, ValueError, TypeError, ReadRefused):
        return None
    return state


def spread(samples: list[SampleResult]) -> dict[str, int] | None:
    """The largest pairwise distance per hash between a variant's own samples: how much the model varies."""
    pairs = list(combinations(samples, 2))
    if not pairs:
        return None
    parsed = [(parse_hex(a.hashes), parse_hex(b.hashes)) for a, b in pairs]
    return {alg: max(distance(a[alg], b[alg]) for a, b in parsed) for alg in VOTING}


def _outside(unchanged: float | None) -> dict[str, float] | None:
    return None if unchanged is None else {"unchanged": round(unchanged, 4), "tolerance": PIXEL_TOLERANCE}


def _policy(case: EvalCase | None) -> dict[str, int]:
    if case is None:
        return {}
    return {
        "samples": case.policy.samples,
        "min_matches": case.policy.min_matches,
        "max_samples": case.policy.max_samples,
    }


def _slug(template_id: str) -> str:
    return template_id.replace("/", "--")


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
