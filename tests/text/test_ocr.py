"""Specification of the OCR adapter and its cache: a missing extra is one clear error; a reading is reused."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from promptlib.emulator._synthesis import ImageSpec, synthesize
from promptlib.exceptions import PromptlibError
from promptlib.testing import offline
from promptlib.text import _ocr
from promptlib.text._cache import ReadingCache
from promptlib.text._match import TextExpectation, find_text
from promptlib.text._ocr import INSTALL_HINT, OcrUnavailable, TextReader, text_reader
from promptlib.text._reading import Reading, ReadingFormatError, TextLine

PROMPT = 'A studio shot of a kettle. Leave clear space at the top for the text "20% off" and "Northwind".'


@pytest.fixture
def no_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if `promptlib[ocr]` were not installed: `import rapidocr` fails, and no reader is loaded yet."""
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    monkeypatch.setattr(_ocr, "_reader", None)


@pytest.mark.usefixtures("no_extra")
def test_without_the_extra_reading_text_is_one_line_saying_how_to_install_it() -> None:
    with pytest.raises(OcrUnavailable) as raised:
        text_reader()
    message = str(raised.value)
    assert isinstance(raised.value, PromptlibError)
    assert INSTALL_HINT in message and "\n" not in message
    assert message.startswith("reading text in images needs the OCR extra: pip install 'promptlib[ocr]'")


class CountingReader:
    """A `TextReader` that answers from a fixed reading and counts how often it was asked."""

    engine = "counting 1.0"

    def __init__(self) -> None:
        self.calls = 0

    def read(self, data: bytes) -> Reading:
        self.calls += 1
        box = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))
        return Reading(self.engine, 64, 64, (TextLine("20% off", box, 0.98, (0.98,) * 7),))


def test_a_reading_is_cached_by_image_sha256_and_engine(tmp_path: Path) -> None:
    cache, reader = ReadingCache(tmp_path / "ocr"), CountingReader()
    first = cache.read(reader, b"image bytes")
    again = cache.read(reader, b"image bytes")
    assert reader.calls == 1 and again == first
    sha = hashlib.sha256(b"image bytes").hexdigest()
    assert (tmp_path / "ocr" / sha[:2] / f"{sha}.json").is_file()
    assert cache.get(sha, "another engine 2.0") is None  # a new engine (or version) reads again


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        json.dumps({"sha256": "0" * 64, "engine": "counting 1.0", "reading": {}}),  # someone else's entry
        json.dumps({"sha256": "{sha}", "engine": "counting 1.0", "reading": {"engine": 1}}),
        json.dumps({"sha256": "{sha}", "engine": "counting 1.0", "reading": {"engine": "counting 1.0",
                    "size": [64, 64], "lines": [{"text": "x", "box": [[0, 0]], "score": "high"}]}}),
    ],
)  # fmt: skip
def test_a_damaged_or_foreign_cache_entry_is_ignored_and_redone(tmp_path: Path, damage: str) -> None:
    cache, reader = ReadingCache(tmp_path), CountingReader()
    sha = hashlib.sha256(b"image").hexdigest()
    path = tmp_path / sha[:2] / f"{sha}.json"
    path.parent.mkdir(parents=True)
    path.write_text(damage.replace("{sha}", sha), encoding="utf-8")
    assert cache.get(sha, reader.engine) is None
    cache.read(reader, b"image")
    assert reader.calls == 1 and cache.get(sha, reader.engine) is not None


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"engine": "e", "size": [10, 10], "lines": [{"text": "ab", "box": [[0, 0]], "score": 1, "char_scores": [1]}]},
        {"engine": "e", "size": [10, 10], "lines": [{"text": "ab", "box": [[0, "x"]], "score": 1}]},
        {"engine": "e", "size": [True, 10], "lines": []},
        {"engine": "e", "size": [10, 10], "lines": [{"text": "a", "box": [[0, 0]], "score": float("nan")}]},
        {"engine": "e", "size": [10, 10], "lines": [{"text": "a" * 5000, "box": [[0, 0]], "score": 1}]},
        {"engine": "e", "size": [10, 10], "lines": [{"text": "a0", "box": [[0, 0]], "score": 1, "shapes": "?0"}]},
        {"engine": "e", "size": [10, 10], "lines": [{"text": "a0", "box": [[0, 0]], "score": 1, "shapes": "?"}]},
    ],
)
def test_a_stored_reading_is_parsed_as_untrusted_input(data: object) -> None:
    with pytest.raises(ReadingFormatError):
        Reading.from_json(data)


def test_a_reading_round_trips_through_json() -> None:
    reading = CountingReader().read(b"")
    assert Reading.from_json(json.loads(json.dumps(reading.to_json()))) == reading
    box = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))
    shaped = Reading("e", 64, 64, (TextLine("2O%", box, 0.9, (0.9,) * 3, "?o?"),))
    assert Reading.from_json(json.loads(json.dumps(shaped.to_json()))) == shaped


# -- with the engine installed (`promptlib[ocr]`, which the test extra includes) -------------------------------


@pytest.fixture(scope="module")
def reader() -> TextReader:
    pytest.importorskip("rapidocr")
    return text_reader()


def test_the_engine_reads_the_emulators_text_offline_with_its_boxes(reader: TextReader) -> None:
    data = synthesize(ImageSpec(prompt=PROMPT))
    with offline():  # models come from the wheel: nothing is downloaded
        reading = reader.read(data)
    assert reading.engine.startswith("rapidocr ") and (reading.width, reading.height) == (1024, 1024)
    for text in ("20% off", "Northwind"):
        match = find_text(TextExpectation.of(text), reading)
        assert match.found, match.message()
        (box,) = match.boxes
        assert all(0 <= x <= 1024 and 0 <= y <= 1024 for x, y in box)


def test_the_engine_reads_transparent_images_flattened_onto_white(reader: TextReader) -> None:
    reading = reader.read(synthesize(ImageSpec(prompt='A logo for "Contoso" on nothing', transparent=True)))
    assert find_text(TextExpectation.of("Contoso"), reading).found


def test_the_engine_refuses_bytes_that_are_no_image(reader: TextReader) -> None:
    with pytest.raises(ValueError, match="not a readable image"):
        reader.read(b"<html>not an image</html>")


def _engine_output(*lines: tuple[str, list[tuple[str, tuple[float, float, float, float]]]]) -> SimpleNamespace:
    """What RapidOCR returns: texts, scores, line boxes and, per line, (char, score, box) of each character."""

    def quad(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]

    return SimpleNamespace(
        txts=tuple(text for text, _ in lines),
        scores=tuple(0.99 for _ in lines),
        boxes=[quad(chars[0][1][0], chars[0][1][1], chars[-1][1][2], chars[-1][1][3]) for _, chars in lines],
        word_results=tuple(tuple((c, 0.99, quad(*box)) for c, box in chars) for _, chars in lines),
    )


def _glyphs(text: str, x: float, y: float, step: float = 40.0) -> list[tuple[str, tuple[float, float, float, float]]]:
    visible = [c for c in text if not c.isspace()]
    return [(c, (x + i * step, y, x + (i + 1) * step - 2, y + 80)) for i, c in enumerate(visible)]


def test_a_glyph_two_overlapping_line_boxes_both_read_is_kept_once() -> None:
    """A tilted "Limited edition" split into "Limited" and "d edition": the second 'd' is the first one again."""
    limited = _glyphs("Limited", 100, 100)
    again = [("d", (345.0, 104.0, 383.0, 184.0)), *_glyphs("edition", 420, 108)]
    lines = _ocr._lines(_engine_output(("Limited", limited), ("d edition", again)))
    assert [line.text for line in lines] == ["Limited", "edition"]
    assert lines[1].char_scores is not None and len(lines[1].char_scores) == len("edition")


def test_letters_that_merely_repeat_elsewhere_or_lines_read_twice_whole_are_kept() -> None:
    apart = _ocr._lines(_engine_output(("Summer", _glyphs("Summer", 100, 100)), ("Sale", _glyphs("Sale", 100, 400))))
    assert [line.text for line in apart] == ["Summer", "Sale"]
    twice = _ocr._lines(_engine_output(("Sale", _glyphs("Sale", 100, 100)), ("Sale", _glyphs("Sale", 102, 101))))
    assert [line.text for line in twice] == ["Sale", "Sale"]
