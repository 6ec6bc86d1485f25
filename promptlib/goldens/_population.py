"""Every case's golden hashes, read once and packed for calibration's cross-case distances.

Calibrating a case measures each of its goldens against every other case's goldens, and `check`, `eval`
and every approval recalibrate or re-verify all cases: N cases cost N² distances. One Python loop per
distance made that about 9 s of `promptlib check` at 1,000 cases of 3 goldens, and a quarter of an hour at
10,000. Packed once per algorithm into uint64 arrays, one case's distances to all the others are a single
XOR and popcount (`benchmarks/bench_calibration.py`). The numbers are the same: the order statistic is
taken from the same multiset of distances, and `tests/goldens/test_population.py` holds the two to it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from promptlib.goldens._hashing import VOTING

CaseKey = tuple[str, str]
Hashes = dict[str, int]
_BITS = 64


class GoldenHashes(Mapping[CaseKey, list[Hashes]]):
    """Every case's recorded golden hashes (suite, case → one dict per golden), read-only so what was packed
    from it cannot go stale."""

    def __init__(self, found: Mapping[CaseKey, Sequence[Hashes]]) -> None:
        self._found = {key: [dict(hashes) for hashes in listed] for key, listed in found.items()}
        self._total = sum(len(listed) for listed in self._found.values())
        self._packed: _Packed | None = None

    def __getitem__(self, key: CaseKey) -> list[Hashes]:
        return [dict(hashes) for hashes in self._found[key]]

    def __iter__(self) -> Iterator[CaseKey]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def others(self, key: CaseKey) -> OtherGoldens:
        """Every golden but case `key`'s: the "unrelated" side of its calibration."""
        return OtherGoldens(self, key)

    def _pack(self) -> _Packed:
        if self._packed is None:
            self._packed = _Packed(self._found)
        return self._packed


class OtherGoldens(Sequence[Hashes]):
    """The goldens of every case but one, as a sequence of hashes; `cross_percentile` measures against them
    without building it."""

    def __init__(self, population: GoldenHashes, excluded: CaseKey) -> None:
        self._population = population
        self._excluded = excluded
        self._listed: list[Hashes] | None = None

    def _items(self) -> list[Hashes]:
        if self._listed is None:
            found = self._population._found
            self._listed = [dict(h) for key, listed in found.items() if key != self._excluded for h in listed]
        return self._listed

    @overload
    def __getitem__(self, index: int) -> Hashes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Hashes]: ...
    def __getitem__(self, index: int | slice) -> Hashes | Sequence[Hashes]:
        return self._items()[index]

    def __iter__(self) -> Iterator[Hashes]:
        return iter(self._items())

    def __len__(self) -> int:
        found = self._population._found
        return self._population._total - len(found.get(self._excluded, ()))

    def cross_percentile(self, goldens: Sequence[Hashes], alg: str, q: float) -> int | None:
        """The `q` order statistic of the distances from `goldens` to these, by `alg`, as `percentile` takes
        it; None when a hash is not a 64-bit integer (the caller then measures one by one)."""
        import numpy as np

        packed = self._population._pack()
        column = packed.columns.get(alg)
        own = [hashes.get(alg) for hashes in goldens]
        if column is None or not own or not all(isinstance(v, int) and 0 <= v < 1 << _BITS for v in own):
            return None
        others = column[packed.owners != packed.index.get(self._excluded, -1)]
        if others.size == 0:
            return None
        distances = np.bitwise_count(np.asarray(own, dtype=np.uint64)[:, None] ^ others[None, :]).ravel()
        at = min(distances.size - 1, max(0, math.floor(q * (distances.size - 1))))
        # distances are 0..64: the `at`-th smallest is where the running count of each distance passes `at`
        running = np.cumsum(np.bincount(distances, minlength=_BITS + 1))
        return int(np.searchsorted(running, at, side="right"))


class _Packed:
    """Per algorithm, every golden's hash in one uint64 array (absent when some hash is not 64-bit), and the
    case each belongs to."""

    def __init__(self, found: Mapping[CaseKey, Sequence[Hashes]]) -> None:
        import numpy as np

        self.index = {key: i for i, key in enumerate(found)}
        self.owners = np.fromiter((i for i, listed in enumerate(found.values()) for _ in listed), dtype=np.int64)
        self.columns: dict[str, Any] = {}
        for alg in VOTING:
            values = [hashes.get(alg) for listed in found.values() for hashes in listed]
            if all(isinstance(v, int) and 0 <= v < 1 << _BITS for v in values):
                self.columns[alg] = np.array(values, dtype=np.uint64)
