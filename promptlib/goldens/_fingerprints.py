"""Fingerprints remembered by image sha256, so a cached sample is never decoded and hashed twice.

A fully cached eval would otherwise spend nearly all its time re-hashing images it
hashed last run. Entries carry the hash-spec id; one made with another spec, or
damaged, is ignored and recomputed.
"""

from __future__ import annotations

import json
from pathlib import Path

from promptlib.core._atomic import atomic_write_text
from promptlib.goldens._hashing import ImageFingerprint, fingerprint


class FingerprintCache:
    """``<root>/<sha[:2]>/<sha>.json`` per image."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write_error: OSError | None = None  # the first failed write: a full or read-only cache is not fatal

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.json"

    def get(self, sha256: str) -> ImageFingerprint | None:
        try:
            found = ImageFingerprint.from_json(json.loads(self._path(sha256).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return found if found.sha256 == sha256 else None

    def fingerprint(self, data: bytes, sha256: str) -> ImageFingerprint:
        """The remembered fingerprint of ``data``, or a fresh one (then remembered)."""
        cached = self.get(sha256)
        if cached is not None:
            return cached
        fresh = fingerprint(data, sha256)
        if self.write_error is None:
            try:
                atomic_write_text(self._path(sha256), json.dumps(fresh.to_json(), sort_keys=True))
            except OSError as exc:
                self.write_error = exc
        return fresh
