"""The fingerprint memo: a cached sample is hashed once, and a stale or damaged entry is never trusted."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image, ImageDraw

from promptlib.goldens._fingerprints import FingerprintCache
from promptlib.goldens._hashing import fingerprint


def _png(colour: str = "navy") -> bytes:
    image = Image.new("RGBA", (300, 200), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((40, 30, 260, 170), fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_remembered_fingerprint_equals_a_fresh_one(tmp_path: Path) -> None:
    """The second lookup reads the memo and gives exactly what hashing the image gives."""
    data = _png()
    fresh = fingerprint(data)
    memo = FingerprintCache(tmp_path)
    assert memo.fingerprint(data, fresh.sha256) == fresh
    assert memo.get(fresh.sha256) == fresh
    assert fresh.transparent  # the transparent corners are recorded, so expectations need no second decode


def test_entries_of_another_spec_or_damaged_are_recomputed(tmp_path: Path) -> None:
    """An entry made with another hash spec, or truncated, is ignored and rewritten."""
    data = _png("coral")
    fresh = fingerprint(data)
    memo = FingerprintCache(tmp_path)
    memo.fingerprint(data, fresh.sha256)
    (entry,) = tmp_path.rglob("*.json")
    stale = json.loads(entry.read_text()) | {"spec": "ih0"}
    entry.write_text(json.dumps(stale))
    assert memo.get(fresh.sha256) is None
    entry.write_text("{")
    assert memo.fingerprint(data, fresh.sha256) == fresh
    assert memo.get(fresh.sha256) == fresh
