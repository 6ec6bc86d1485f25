"""The `text` expectation in a run: what each case must show, OCR per sample, and the case's text verdict.

A case's texts come from `expect.text` and from the values of the template variables `expect.text_from`
names (so a `from_examples` entry checks each example's own headline). Each sample is read once, off the
event loop, and remembered by image sha256 under `.promptlib/cache/ocr/` (a re-run reads nothing twice;
`--no-cache` neither reads nor writes it). A case passes on text when at least its policy's `min_matches`
samples show every expected text, the same m of K that judges the images, so one sample that OCR reads
badly does not fail a case, while a model that misprints most of the time does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from promptlib.client._results import GeneratedImage
from promptlib.core._problems import Problem
from promptlib.evals._results import CaseText, SampleResult, SampleText, TextCheck, TextLineRead
from promptlib.evals._suites import Expect
from promptlib.exceptions import UsageError
from promptlib.text._cache import ReadingCache
from promptlib.text._match import TextExpectation, TextMatch
from promptlib.text._ocr import OcrUnavailable, TextReader, text_reader
from promptlib.text._reading import Reading
from promptlib.text._second_look import best_matches, needs_closer_look, read_closer

OCR_CACHE = "ocr"


def case_texts(expect: Expect, variables: Mapping[str, Any]) -> list[TextExpectation]:
    """The texts a case's images must show; a `text_from` variable left empty asks for none."""
    found = [
        TextExpectation.of(entry)
        if isinstance(entry, str)
        else TextExpectation(entry.alternatives, entry.min_similarity)
        for entry in expect.text
    ]
    for name in expect.text_from:
        value = variables.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
            found.append(TextExpectation.of(str(value)))
    return found


def require_reader(cases: Sequence[Any]) -> None:
    """Before a run: when a selected case expects text, the OCR extra must be there (else exit 2, one line)."""
    missing = _missing_reader([case for case in cases if case.expect.reads_text])
    if missing is not None:
        raise UsageError(missing)


def text_reader_warnings(cases: Sequence[Any]) -> list[Problem]:
    """For `check`: one warning, at the first case that expects text, when the OCR extra is not installed."""
    missing = _missing_reader(cases)
    if missing is None:
        return []
    first = cases[0]
    return [Problem(first.path or Path("."), first.line, f"{missing}; `promptlib eval` refuses to run them without it")]


def _missing_reader(cases: Sequence[Any]) -> str | None:
    """Why the text of `cases` (those that expect some) cannot be read, or None when it can (or none does)."""
    if not cases:
        return None
    try:
        text_reader()
    except OcrUnavailable as exc:
        keys = [case.key for case in cases]
        which = f"case {keys[0]} expects" if len(keys) == 1 else f"{len(keys)} cases ({keys[0]}, …) expect"
        return f"{which} text in the images; {exc.message}"
    return None


class TextReading:
    """The run's reader and reading cache, shared by its cases; the engine loads on first use."""

    def __init__(self, state_dir: Path, *, memo: bool, limiter: anyio.CapacityLimiter) -> None:
        self.cache = ReadingCache(state_dir / "cache" / OCR_CACHE) if memo else None
        self.limiter = limiter

    def reader(self) -> TextReader:
        """The engine; `OcrUnavailable` (one line: how to install it) without the `promptlib[ocr]` extra."""
        return text_reader()

    async def read(self, image: GeneratedImage, expectations: Sequence[TextExpectation]) -> list[Reading]:
        """What `image` shows, read in a worker thread (or remembered from an earlier run): one look, and a
        second, closer one when the first misses an expected text (`promptlib.text._second_look`)."""
        reader = self.reader()

        def work() -> list[Reading]:
            cache = self.cache
            first = reader.read(image.data) if cache is None else cache.read(reader, image.data, image.sha256)
            if not needs_closer_look(expectations, first):
                return [first]
            closer = (
                read_closer(reader, image.data)
                if cache is None
                else cache.read_closer(reader, image.data, image.sha256)
            )
            return [first] if closer is None else [first, closer]

        return await anyio.to_thread.run_sync(work, limiter=self.limiter)


def sample_text(expectations: Sequence[TextExpectation], readings: Sequence[Reading]) -> SampleText:
    """The typed record of one sample's reading and checks (boxes in image pixels, for pages to draw): the
    lines of the last look taken, each expectation judged on the look that shows it best."""
    shown = readings[-1]
    lines = [TextLineRead(text=ln.text, box=list(ln.box), score=round(ln.score, 4)) for ln in shown.lines]
    return SampleText(
        engine=shown.engine, lines=lines, checks=[_check(m) for m in best_matches(expectations, readings)]
    )


def _check(match: TextMatch) -> TextCheck:
    return TextCheck(
        expected=list(match.expectation.any_of),
        min_similarity=match.expectation.min_similarity,
        found=match.found,
        best=match.expected,
        similarity=round(match.similarity, 4),
        read=match.read,
        boxes=[list(box) for box in match.boxes],
        message=match.message(),
    )


def text_verdict(expectations: Sequence[TextExpectation], samples: Sequence[SampleResult], needed: int) -> CaseText:
    """How many samples show every expected text, and a line per text some sample missed (what it read)."""
    read = [s for s in samples if s.text is not None]
    misses: dict[str, list[int]] = {}
    first: dict[str, str] = {}
    for sample in read:
        assert sample.text is not None
        for check in sample.text.checks:
            if not check.found:
                label = " or ".join(check.expected)
                misses.setdefault(label, []).append(sample.index)
                first.setdefault(label, check.message)
    lines = [f"{first[label]} ({_numbers(indices)} of {len(read)})" for label, indices in misses.items()]
    showing = sum(1 for s in read if s.text is not None and s.text.shows_all)
    return CaseText(
        expected=[list(e.any_of) for e in expectations], showing=showing, needed=min(needed, len(read)), misses=lines
    )


def text_failure(verdict: CaseText) -> str | None:
    """The case's failure when too few samples show the text, e.g. "text '20% off' not found; read '2O% of' …"."""
    if verdict.showing >= verdict.needed or not verdict.misses:
        return None
    return "; ".join(verdict.misses) + f"; {verdict.showing} sample(s) show all the text, {verdict.needed} needed"


def _numbers(indices: list[int]) -> str:
    """`sample #2`, `samples #0 and #2`: numbered as the report and `reject --sample` number them."""
    shown = [f"#{i}" for i in indices]
    return f"sample {shown[0]}" if len(shown) == 1 else "samples " + ", ".join(shown[:-1]) + " and " + shown[-1]
