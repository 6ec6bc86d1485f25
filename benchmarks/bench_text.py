"""Does the readable-text check find the text a prompt asks for, and refuse near-misses of it?

Runs promptlib's OCR reader (`promptlib[ocr]`: RapidOCR, PP-OCRv6 small) over the generated test set of
`tests/text/textset.py` (Pillow-drawn marketing strings in five faces, 18-120 px, rotated up to 10° on busy
backgrounds; emulator plates; images that say "20% of", "2O% off" or "30% off") and prints, for the
check (`promptlib.text._match` on the first look and, where it missed, a second look at twice the size,
`promptlib.text._second_look`), for the first look alone, and for the baseline measured in the same run —
exact substring of the engine's raw output —

- recall of the expected strings on legible text (32 px and up), and on all of it;
- false accepts on near-miss strings: "20% off" expected on images that say a near-miss of it, and, on
  every other image, a near-miss of its own strings (a letter dropped, a digit or letter changed);
- milliseconds per 1024² image (wall and CPU; the machine is shared, so CPU is the steadier figure).

Targets (issue 15): recall >= 0.95 on legible text, false accepts <= 0.02. It is a measurement, not a
test: it always exits 0 (tests/text/test_text_accuracy.py holds a floor well below these figures).

Run: python benchmarks/bench_text.py [--min-similarity X] [--misses] [--first-look-only]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "text"))

import textset

from promptlib.text._match import DEFAULT_MIN_SIMILARITY, TextExpectation
from promptlib.text._ocr import text_reader
from promptlib.text._reading import Reading
from promptlib.text._second_look import needs_closer_look, read_closer

RECALL_TARGET = 0.95
FALSE_ACCEPT_TARGET = 0.02


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-similarity", type=float, default=DEFAULT_MIN_SIMILARITY)
    parser.add_argument("--misses", action="store_true", help="list every legible string not found")
    parser.add_argument("--first-look-only", action="store_true", help="skip the second, closer look (faster)")
    args = parser.parse_args()

    reader = text_reader()
    samples = textset.samples()
    print(f"engine: {reader.engine}; {len(samples)} images; min_similarity {args.min_similarity}")
    pairs: list[tuple[textset.TextSample, list[Reading]]] = []
    wall_ms, cpu_ms, closer_cpu_ms = [], [], []
    for sample in samples:
        image = sample.draw()
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        per_megapixel = 1024 * 1024 / (image.width * image.height)
        wall, cpu = time.perf_counter(), time.process_time()
        looks = [reader.read(buffer.getvalue())]
        wall_ms.append((time.perf_counter() - wall) * 1000 * per_megapixel)
        cpu_ms.append((time.process_time() - cpu) * 1000 * per_megapixel)
        strings = [TextExpectation.of(t, args.min_similarity) for t in (*sample.expected, *sample.decoys)]
        if not args.first_look_only and needs_closer_look(strings, looks[0]):  # what the check does on a miss
            cpu = time.process_time()
            closer = read_closer(reader, buffer.getvalue())
            closer_cpu_ms.append((time.process_time() - cpu) * 1000 * per_megapixel)
            looks += [closer] if closer is not None else []
        pairs.append((sample, looks))
    matching = time.process_time()
    scores = textset.score(pairs, args.min_similarity)
    matching_ms = (time.process_time() - matching) * 1000 / len(pairs)
    first_look = textset.score([(sample, looks[:1]) for sample, looks in pairs], args.min_similarity)

    def verdict(value: float, target: float, higher_is_better: bool) -> str:
        return "meets target" if (value >= target if higher_is_better else value <= target) else "MISSES target"

    print(f"{'':34}{'check':>10}{'1st look':>10}{'raw exact':>12}")
    rows = [
        ("recall, legible text", scores.recall, first_look.recall, scores.baseline_recall, RECALL_TARGET, True),
        ("false accepts, near-miss images", scores.near_miss_false_accepts, first_look.near_miss_false_accepts,
         scores.baseline_near_miss_false_accepts, FALSE_ACCEPT_TARGET, False),
        ("false accepts, own-string decoys", scores.decoy_false_accepts, first_look.decoy_false_accepts,
         scores.baseline_decoy_false_accepts, FALSE_ACCEPT_TARGET, False),
    ]  # fmt: skip
    for label, ours, first, baseline, target, higher in rows:
        print(f"{label:34}{ours:10.3f}{first:10.3f}{baseline:12.3f}   {verdict(ours, target, higher)} ({target})")
    print(f"{'recall, all text (small included)':34}{scores.recall_all:10.3f}")
    for text, rate in sorted(scores.near_miss_by_string.items()):
        print(f"  '20% off' accepted on images saying {text!r}: {rate:.3f}")
    print(
        f"ms per 1024² image: median {statistics.median(wall_ms):.0f} wall, {statistics.median(cpu_ms):.0f} CPU "
        f"(OCR); matching {matching_ms:.1f} ms CPU per image"
    )
    if closer_cpu_ms:
        print(
            f"second look (taken on {len(closer_cpu_ms)} of {len(pairs)} images, those where nothing like some string"
            f" was read): median {statistics.median(closer_cpu_ms):.0f} ms CPU per 1024² image"
        )
    if args.misses:
        print("\n".join(scores.misses))


if __name__ == "__main__":
    main()
