"""Which variant each sample gets: reproducible with a seed, fresh per emulator without one.

Variants are counted per request content, so the k-th sample of a given request is the same for a given
seed however other requests interleave (concurrent tests stay reproducible).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter


class VariantSource:
    """Hands out sample numbers: `take(key, n)` returns the next `n` variants for requests equal to `key`."""

    def __init__(self, seed: int | None) -> None:
        self._seed = seed if seed is not None else int.from_bytes(os.urandom(8), "big")
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, key: str, n: int) -> list[int]:
        with self._lock:
            start = self._counts[key]
            self._counts[key] += n
        return [self._variant(key, start + i) for i in range(n)]

    def _variant(self, key: str, index: int) -> int:
        digest = hashlib.blake2b(f"{self._seed}\0{key}\0{index}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")
