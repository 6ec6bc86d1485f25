"""Look-alike failures: failed cases whose samples are near each other across cases.

One edit to a shared partial can change ten templates the same way; their failures then look alike, and a
reviewer who has judged one can judge the group. Cases are grouped when some sample of one is within LOOKALIKE of
some sample of the other on at least 2 of the 3 voting hashes (the rule a sample matches a golden by), and groups
are joined transitively. Hashes come from results.json (untrusted): an unparsable one leaves that sample out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from promptlib.goldens._compare import DUPLICATE, MARGIN
from promptlib.goldens._hashing import VOTING, parse_hex
from promptlib.reports._cards import case_key

#: "Near each other": a re-encode or resize is within DUPLICATE; a look-alike is allowed the calibration margin.
LOOKALIKE: dict[str, int] = {alg: DUPLICATE[alg] + MARGIN for alg in VOTING}
_GROUPED = frozenset({"failed"})


@dataclass(frozen=True, slots=True)
class LookalikeGroup:
    keys: list[str]  # sorted
    closest: int  # the smallest pHash distance that joined two of them


def lookalike_groups(
    cases: Iterable[Mapping[str, Any]], thresholds: Mapping[str, int] = LOOKALIKE
) -> list[LookalikeGroup]:
    """Groups of two or more failed cases whose samples look alike, largest first.

    Every sample is compared with every other at once (numpy popcounts of XORed hashes): a 200-case queue of
    three samples each is 360,000 pairs, well under the time of one page render.
    """
    keys, owners, table = [], [], []
    for case in cases:
        if not isinstance(case, Mapping) or case.get("status") not in _GROUPED:
            continue
        samples = _sample_hashes(case)
        if samples:
            keys.append(case_key(case))
            owners += [len(keys) - 1] * len(samples)
            table += [[h[alg] for alg in VOTING] for h in samples]
    if len(keys) < 2:
        return []
    hashes = np.array(table, dtype=np.uint64)
    distances = np.bitwise_count(hashes[:, None, :] ^ hashes[None, :, :])  # samples x samples x hashes
    limits = np.array([thresholds[alg] for alg in VOTING])
    near = (distances <= limits).sum(axis=2) >= 2
    owner = np.array(owners)
    near &= owner[:, None] < owner[None, :]  # pairs of samples of two different cases, each pair once
    return _join(keys, owner, near, distances[:, :, 0])


def _join(keys: list[str], owner: Any, near: Any, phash: Any) -> list[LookalikeGroup]:
    """Cases joined transitively through their look-alike sample pairs."""
    parent = list(range(len(keys)))
    closest: dict[int, int] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for x, y in zip(*np.nonzero(near), strict=True):
        a, b = root(int(owner[x])), root(int(owner[y]))
        d = int(phash[x, y])
        if a != b:
            parent[b] = a
        closest[a] = min(d, closest.get(a, d), closest.get(b, d))
    members: dict[int, list[str]] = {}
    for i, key in enumerate(keys):
        members.setdefault(root(i), []).append(key)
    groups = [LookalikeGroup(sorted(names), closest.get(r, 0)) for r, names in members.items() if len(names) > 1]
    return sorted(groups, key=lambda g: (-len(g.keys), g.keys))


def _sample_hashes(case: Mapping[str, Any]) -> list[dict[str, int]]:
    found = []
    for sample in case.get("samples") or []:
        hashes = sample.get("hashes") if isinstance(sample, Mapping) else None
        try:
            parsed = parse_hex(dict(hashes)) if isinstance(hashes, Mapping) else None
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and all(alg in parsed and 0 <= parsed[alg] < 2**64 for alg in VOTING):
            found.append(parsed)
    return found
