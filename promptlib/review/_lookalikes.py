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

from promptlib.goldens._compare import DUPLICATE, MARGIN
from promptlib.goldens._hashing import VOTING, distance, parse_hex
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
    """Groups of two or more failed cases whose samples look alike, largest first."""
    hashed = [(case_key(c), _sample_hashes(c)) for c in cases if isinstance(c, Mapping) and c.get("status") in _GROUPED]
    hashed = [(key, samples) for key, samples in hashed if samples]
    parent = list(range(len(hashed)))
    closest: dict[int, int] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(hashed)):
        for j in range(i + 1, len(hashed)):
            near = _nearest(hashed[i][1], hashed[j][1], thresholds)
            if near is not None:
                a, b = root(i), root(j)
                parent[b] = a
                closest[a] = min(near, closest.get(a, near), closest.get(b, near))
    members: dict[int, list[str]] = {}
    for i, (key, _) in enumerate(hashed):
        members.setdefault(root(i), []).append(key)
    groups = [LookalikeGroup(sorted(keys), closest.get(r, 0)) for r, keys in members.items() if len(keys) > 1]
    return sorted(groups, key=lambda g: (-len(g.keys), g.keys))


def _sample_hashes(case: Mapping[str, Any]) -> list[dict[str, int]]:
    found = []
    for sample in case.get("samples") or []:
        hashes = sample.get("hashes") if isinstance(sample, Mapping) else None
        try:
            parsed = parse_hex(dict(hashes)) if isinstance(hashes, Mapping) else None
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and all(alg in parsed for alg in VOTING):
            found.append(parsed)
    return found


def _nearest(a: list[dict[str, int]], b: list[dict[str, int]], thresholds: Mapping[str, int]) -> int | None:
    """The smallest pHash distance between a look-alike pair of samples of the two cases, or None."""
    best = None
    for x in a:
        for y in b:
            if sum(distance(x[alg], y[alg]) <= thresholds[alg] for alg in VOTING) >= 2:
                d = distance(x["phash"], y["phash"])
                best = d if best is None else min(best, d)
    return best
