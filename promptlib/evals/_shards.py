"""``--shard K/N``: which eval cases one machine of a CI matrix runs.

A case belongs to shard ``sha256("suite/case") mod N + 1``. Hashing the case's key, rather than cutting the
case list by position, keeps the split stable: adding, removing or reordering cases never moves an existing
case to another shard, so its cached results stay warm on the machine that has been running it, and the
shards of one commit always cover every case exactly once (each key has exactly one residue).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from promptlib.evals._cases import EvalCase
from promptlib.exceptions import UsageError

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based, as people and CI matrices count) of ``total``."""

    index: int
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/3"`` -> Shard(2, 3); anything else is a usage error (exit 2) saying what is expected."""
        match = _SPEC.fullmatch(text)
        if match is None:
            raise UsageError(f"--shard expects K/N such as 2/3 (this machine's shard of N), got {text!r}")
        index, total = int(match.group(1)), int(match.group(2))
        if total < 1 or not 1 <= index <= total:
            raise UsageError(f"--shard {text}: K must be between 1 and N (and N at least 1), e.g. 1/{max(total, 1)}")
        return cls(index, total)

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def owns(self, key: str) -> bool:
        """Whether the case ``suite/case`` runs on this shard."""
        return shard_of(key, self.total) == self.index


def shard_of(key: str, total: int) -> int:
    """The 1-based shard of a case key: a function of the key alone, so stable as suites grow."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def shard_cases(cases: Sequence[EvalCase], shard: Shard) -> list[EvalCase]:
    """The cases this shard runs, in their original order."""
    return [case for case in cases if shard.owns(case.key)]
