"""Specification of the second look: an image whose text the first reading missed is read again at twice the
size, that reading is cached beside the first, and an expectation is met when either look shows it."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from ocr_doubles import FarsightedReader
from PIL import Image

from promptlib.text._cache import ReadingCache
from promptlib.text._match import TextExpectation
from promptlib.text._reading import Reading, TextLine
from promptlib.text._second_look import MAX_SIDE, best_matches, closer_engine, needs_closer_look, read_closer


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 150)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_second_look_reads_the_image_at_twice_the_size_with_boxes_in_the_originals_pixels() -> None:
    reader = FarsightedReader()
    first = reader.read(png(1024, 1024))
    closer = read_closer(reader, png(1024, 1024))
    assert closer is not None and reader.sizes == [(1024, 1024), (2048, 2048)]
    assert (closer.width, closer.height) == (1024, 1024) and closer.engine == closer_engine(reader.engine)
    assert closer.lines[0].box == ((50.0, 20.0), (250.0, 20.0), (250.0, 60.0), (50.0, 60.0))
    (match,) = best_matches([TextExpectation.of("20% off")], [first, closer])
    assert match.found and match.boxes == (closer.lines[0].box,)


def test_an_image_already_near_the_largest_side_gets_no_second_look() -> None:
    reader = FarsightedReader()
    assert read_closer(reader, png(MAX_SIDE - 200, 64)) is None
    assert reader.sizes == []


def test_the_second_look_decides_only_where_the_first_saw_nothing_like_the_text() -> None:
    box = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))
    shows = Reading("e", 64, 64, (TextLine("Northwind", box, 0.99, (0.99,) * 9),))
    misprint = Reading("e", 64, 64, (TextLine("Nothwind", box, 0.99, (0.99,) * 8),))
    nothing = Reading("e", 64, 64, (TextLine("Sale", box, 0.99, (0.99,) * 4),))
    expectation = TextExpectation.of("Northwind")
    assert needs_closer_look([expectation], nothing) and not needs_closer_look([expectation], misprint)
    assert best_matches([expectation], [nothing, shows])[0].found
    assert not best_matches([expectation], [misprint, shows])[0].found, "text read and refused stays refused"
    assert not best_matches([expectation], [nothing, misprint])[0].found
    assert best_matches([expectation], [nothing, misprint])[0].read == "Nothwind"


def test_the_second_look_is_cached_beside_the_first_and_never_repeated(tmp_path: Path) -> None:
    cache, reader, data = ReadingCache(tmp_path), FarsightedReader(), png(1024, 768)
    first = cache.read(reader, data)
    closer = cache.read_closer(reader, data)
    assert cache.read(reader, data) == first and cache.read_closer(reader, data) == closer
    assert reader.sizes == [(1024, 768), (2048, 1536)], "each look is taken once"
    sha = hashlib.sha256(data).hexdigest()
    assert sorted(p.name for p in (tmp_path / sha[:2]).iterdir()) == [f"{sha}.closer.json", f"{sha}.json"]
    assert cache.get(sha, reader.engine, closer=True) is None, "a first look is never taken for a second"
