"""The reader and matcher on nine images of the generated test set; `benchmarks/bench_text.py` reads all of it.

OCR costs about a second per 1024² image, so the whole set (94 images) is the benchmark's job; this test reads
nine chosen to cover what could break: Pillow-drawn text in two faces on busy backgrounds (two strings on a
square image, one on a wide one, one tilted), an emulator plate on a wide image, and one image of each
near-miss ("20% of", "2O% off" in a proportional face, "30% off"), plus "2O% off" twice in the monospaced face
(haloed type whose halo polarity ties the ink's, and a line the detector splits at its space). Every image also
carries decoys, near-misses of its own strings, so false accepts are measured on all nine. Accuracy is
deterministic for a given engine build: the floors sit below what rapidocr 3.10 (PP-OCRv6 small) measured here,
to leave room for another CPU's floating point to flip a borderline reading. Time is never asserted.
"""

from __future__ import annotations

import io

import pytest
import textset

SAMPLED = (
    "pillow-02", "pillow-13", "pillow-24", "emulator-01",
    "near-miss-08", "near-miss-13", "near-miss-18", "near-miss-19", "near-miss-20",
)  # fmt: skip
#: On these rapidocr 3.10 found every legible string and accepted no decoy and no near-miss.
RECALL_FLOOR = 0.75
DECOY_CEILING = 0.1
#: PP-OCRv6 reads every printed "2O%" as "20%": near-miss-13's (a proportional face) is refused by the glyph's
#: width, near-miss-18's and -19's (DejaVu Sans Mono, whose zero is dotted) by its blank counter.
NEAR_MISS_CEILING = {"20% of": 0.0, "2O% off": 0.0, "30% off": 0.0}


def test_the_reader_finds_legible_text_and_refuses_near_misses(text_samples: list[textset.TextSample]) -> None:
    pytest.importorskip("rapidocr")
    from promptlib.text._ocr import text_reader

    reader = text_reader()
    chosen = [sample for sample in text_samples if sample.name in SAMPLED]
    assert [sample.name for sample in chosen] == list(SAMPLED)
    pairs = []
    for sample in chosen:
        buffer = io.BytesIO()
        sample.draw().save(buffer, "PNG", compress_level=1)
        pairs.append((sample, reader.read(buffer.getvalue())))
    scores = textset.score(pairs)
    assert scores.recall >= RECALL_FLOOR, "\n".join(scores.misses)
    assert scores.decoy_false_accepts <= DECOY_CEILING
    for text, ceiling in NEAR_MISS_CEILING.items():
        assert scores.near_miss_by_string[text] <= ceiling, text
