"""Reading text in images with RapidOCR (PP-OCRv6 on onnxruntime), an optional extra: `promptlib[ocr]`.

Why this engine: it was the most accurate of the engines compared on `tests/text/` (see
`benchmarks/bench_text.py`), it installs from PyPI alone with its models inside the wheel (nothing is
downloaded at run time), and it and its models are Apache-2.0. It is imported only when text is first
read, so promptlib without the extra stays light; without it, `text_reader()` raises `OcrUnavailable`,
whose message says how to install it, and a case with a text expectation is an error, never a pass.

The engine runs without its 180° orientation classifier (printed text in generated images is upright or
tilted a little) and reports a confidence per character, which the matcher uses (`_text_match`).
"""

from __future__ import annotations

import importlib
import io
import threading
from importlib import metadata
from typing import Any, Protocol

from promptlib.exceptions import PromptlibError
from promptlib.text._glyph_shapes import line_shapes
from promptlib.text._reading import Quad, Reading, TextLine, in_reading_order

INSTALL_HINT = "pip install 'promptlib[ocr]'"
#: The distribution the extra installs; its version is part of `engine`, so a new engine rereads images.
ENGINE_DISTRIBUTION = "rapidocr"
#: The module the engine is imported from (`promptlib.testing.without_ocr` makes importing it fail).
ENGINE_MODULE = "rapidocr"
#: Images up to 4096 px a side are read at their own size (the engine's default shrinks anything over 2000).
_SETTINGS = {"Global.use_cls": False, "Global.log_level": "critical", "Global.max_side_len": 4096}
#: How promptlib turns the engine's output into a `Reading`; bumped when that changes, so cached readings are redone.
READING_REVISION = 4


class OcrUnavailable(PromptlibError):
    """Text cannot be read: the OCR extra is not installed, or its engine failed to load."""

    exit_code = 2  # the environment lacks a part, as with a missing setting: nothing was checked


class TextReader(Protocol):
    """Reads the text in encoded images; `engine` names the engine and version (it keys the cache)."""

    engine: str

    def read(self, data: bytes) -> Reading: ...


_lock = threading.Lock()
_reader: TextReader | None = None


def text_reader() -> TextReader:
    """The process's reader; `OcrUnavailable` without the extra. Cheap: the engine's models load on the first
    read (a second or two), so a run whose readings are all cached never loads them."""
    global _reader
    with _lock:
        if _reader is None:
            _reader = RapidOcrReader()
        return _reader


def replace_reader(reader: TextReader | None) -> TextReader | None:
    """Make `reader` the process's reader (None: load one on next use); returns the one it replaces."""
    global _reader
    with _lock:
        previous, _reader = _reader, reader
        return previous


class RapidOcrReader:
    """`TextReader` over RapidOCR; one engine per process (loaded on the first read), used by one thread at a time."""

    def __init__(self) -> None:
        try:
            self._engine_class = importlib.import_module(ENGINE_MODULE).RapidOCR
        except ImportError as error:
            raise OcrUnavailable(f"reading text in images needs the OCR extra: {INSTALL_HINT} ({error})") from None
        version = metadata.version(ENGINE_DISTRIBUTION)
        self.engine = f"rapidocr {version} PP-OCRv6 small (no cls), reading r{READING_REVISION}"
        self._engine: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the engine's models are in memory (they load on the first read)."""
        return self._engine is not None

    def _loaded(self) -> Any:
        if self._engine is None:
            try:
                self._engine = self._engine_class(params=dict(_SETTINGS))
            except Exception as error:  # the engine's own config/model errors have no common base class
                raise OcrUnavailable(f"the OCR engine failed to load ({type(error).__name__}: {error}); "
                                     f"reinstall it with {INSTALL_HINT}") from None  # fmt: skip
        return self._engine

    def read(self, data: bytes) -> Reading:
        """Every line of text in the image `data`; `ValueError` when `data` is not a readable image."""
        pixels = decode_rgb(data)
        with self._lock:  # a PIL image, not an array: RapidOCR takes arrays as OpenCV's BGR
            result: Any = self._loaded()(pixels, return_word_box=True, return_single_char_box=True)
        lines = _lines(result, pixels) if result.txts is not None else []
        return Reading(self.engine, pixels.width, pixels.height, in_reading_order(lines))


def decode_rgb(data: bytes) -> Any:
    """The image as RGB, transparency flattened onto white (as the hash spec does), decoded once."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
                return flat
            return image.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"not a readable image ({type(exc).__name__}: {exc})") from None


def _lines(result: Any, pixels: Any = None) -> list[TextLine]:
    """The engine's lines as `TextLine`s, with each round glyph's shape measured on `pixels` when given."""
    words = result.word_results or ()
    raw = []
    for index, (text, score, box) in enumerate(zip(result.txts, result.scores, result.boxes, strict=True)):
        quad = tuple((float(x), float(y)) for x, y in box)
        chars = list(words[index]) if index < len(words) else []
        raw.append((text, quad, float(score), chars))
    kept = _without_repeats(raw)
    boxes = [[tuple((float(x), float(y)) for x, y in char[2]) for char in chars] for _, _, _, chars in kept]
    shapes = (line_shapes(_grey(pixels), [(text, quad, b) for (text, quad, _, _), b in zip(kept, boxes, strict=True)])
              if pixels is not None else [None] * len(kept))  # fmt: skip
    return [TextLine(text, quad, score, _char_scores(text, chars), shape)
            for (text, quad, score, chars), shape in zip(kept, shapes, strict=True)]  # fmt: skip


def _grey(pixels: Any) -> Any:
    import numpy as np

    return np.asarray(pixels.convert("L"))


def _without_repeats(lines: list[tuple[str, Quad, float, list[Any]]]) -> list[tuple[str, Quad, float, list[Any]]]:
    """The lines with characters read twice dropped from the start of the second line.

    The detector sometimes splits a long tilted line into two boxes that overlap by a glyph, and both boxes
    read it: "Limited edition" comes back as "Limited" and "d edition". A leading character whose box lies
    mostly on a character of the same letter in an earlier line is that glyph read again."""
    out = []
    for index, (text, quad, score, chars) in enumerate(lines):
        earlier = [c for line in lines[:index] if _overlap(quad, line[1]) > 0 for c in line[3]]
        drop = 0
        while drop < len(chars) and _read_elsewhere(chars[drop], earlier):
            drop += 1
        if 0 < drop < len(chars) and _aligned(text, chars):  # a line read twice whole is left as it is
            visible = [i for i, c in enumerate(text) if not c.isspace()]
            text, chars = text[visible[drop] :].lstrip(), chars[drop:]
        out.append((text, quad, score, chars))
    return out


def _read_elsewhere(char: Any, others: list[Any]) -> bool:
    text, _, box = char[0], char[1], char[2]
    return any(o[0].casefold() == text.casefold() and _overlap(box, o[2]) >= 0.5 for o in others)


def _overlap(a: Any, b: Any) -> float:
    """The share of box `a`'s bounding rectangle that box `b`'s covers."""
    ax0, ax1 = min(p[0] for p in a), max(p[0] for p in a)
    ay0, ay1 = min(p[1] for p in a), max(p[1] for p in a)
    bx0, bx1 = min(p[0] for p in b), max(p[0] for p in b)
    by0, by1 = min(p[1] for p in b), max(p[1] for p in b)
    width, height = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    area = (ax1 - ax0) * (ay1 - ay0)
    return max(0.0, width) * max(0.0, height) / area if area > 0 else 0.0


def _aligned(text: str, chars: list[Any]) -> bool:
    return len(chars) == sum(1 for c in text if not c.isspace())


def _char_scores(text: str, chars: Any) -> tuple[float, ...] | None:
    """Per-character confidences aligned with `text` (spaces count as sure), or None when they do not align."""
    confidences = [float(item[1]) for item in chars or ()]
    visible = sum(1 for c in text if not c.isspace())
    if not confidences or len(confidences) != visible:
        return None
    remaining = iter(confidences)
    return tuple(1.0 if c.isspace() else next(remaining) for c in text)
