"""Readings remembered by image sha256, so an OCR pass is never repeated for a cached sample.

A second look (`_second_look`) is remembered beside the first, as `<sha>.closer.json`.

Same layout and rules as the fingerprint memo (`_fingerprints`): `<root>/<sha[:2]>/<sha>.json` per image,
written atomically; an entry made by another engine (or version), or damaged, is ignored and redone.
The eval keeps it at `.promptlib/cache/ocr/`, beside `.promptlib/cache/fingerprints/`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from promptlib.core._atomic import atomic_write_text
from promptlib.text._ocr import TextReader
from promptlib.text._reading import Reading, ReadingFormatError
from promptlib.text._second_look import closer_engine, read_closer

#: Larger entries are not ours (a reading of 500 lines is well under this).
MAX_ENTRY_BYTES = 2_000_000


class ReadingCache:
    """`<root>/<sha[:2]>/<sha>.json` per image: `{"sha256", "engine", "reading"}`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str, closer: bool = False) -> Path:
        return self.root / sha256[:2] / f"{sha256}{'.closer' if closer else ''}.json"

    def get(self, sha256: str, engine: str, *, closer: bool = False) -> Reading | None:
        """The remembered reading of the image with `sha256` by `engine` (its second look: `closer`), or None."""
        path = self._path(sha256, closer)
        try:
            if path.stat().st_size > MAX_ENTRY_BYTES:
                return None
            entry = json.loads(path.read_text(encoding="utf-8"))
            if entry.get("sha256") != sha256 or entry.get("engine") != engine:
                return None
            reading = Reading.from_json(entry.get("reading"))
        except (OSError, ValueError, AttributeError, ReadingFormatError):
            return None
        return reading if reading.engine == engine else None

    def read(self, reader: TextReader, data: bytes, sha256: str | None = None) -> Reading:
        """The remembered reading of `data`, or a fresh one from `reader` (then remembered)."""
        sha256 = sha256 or hashlib.sha256(data).hexdigest()
        cached = self.get(sha256, reader.engine)
        if cached is not None:
            return cached
        fresh = reader.read(data)
        self._put(sha256, reader.engine, fresh, closer=False)
        return fresh

    def read_closer(self, reader: TextReader, data: bytes, sha256: str | None = None) -> Reading | None:
        """The remembered second look at `data` (`read_closer`), or a fresh one (then remembered)."""
        sha256 = sha256 or hashlib.sha256(data).hexdigest()
        engine = closer_engine(reader.engine)
        cached = self.get(sha256, engine, closer=True)
        if cached is not None:
            return cached
        fresh = read_closer(reader, data)
        if fresh is not None:
            self._put(sha256, engine, fresh, closer=True)
        return fresh

    def _put(self, sha256: str, engine: str, reading: Reading, *, closer: bool) -> None:
        entry = {"sha256": sha256, "engine": engine, "reading": reading.to_json()}
        atomic_write_text(self._path(sha256, closer), json.dumps(entry, sort_keys=True, ensure_ascii=False))
