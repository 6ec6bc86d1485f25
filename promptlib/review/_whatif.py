"""What-if thresholds: the calibration a case would have after an approval, computed before anything is written.

It plans the approval exactly as `approve` does (the same checks on the key, the run's entry and each sample's
bytes), builds the golden set the approval would leave (replaced, or added to) and calibrates it with
`goldens._compare.calibrate` against the other cases' goldens: the numbers `approve` then writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from promptlib._library import Library
from promptlib.evals._cases import approvable_cases
from promptlib.evals._runner import golden_store
from promptlib.goldens._compare import Calibration, calibrate
from promptlib.goldens._hashing import VOTING
from promptlib.goldens._review import plan_approvals
from promptlib.review._runs import ReviewRun


@dataclass(frozen=True)
class WhatIf:
    key: str
    before: Calibration | None  # None: the case has no goldens yet
    after: Calibration
    goldens_before: int
    goldens_after: int

    def changes(self) -> list[str]:
        """One line per hash whose threshold moves, and the sensitivity if it changes."""
        lines = []
        for alg in VOTING:
            old = self.before.thresholds.get(alg) if self.before else None
            new = self.after.thresholds[alg]
            if old != new:
                lines.append(f"{alg} threshold {old if old is not None else '—'} → {new}")
        old_sensitivity = self.before.sensitivity if self.before else None
        if old_sensitivity != self.after.sensitivity:
            lines.append(f"sensitivity {old_sensitivity or '—'} → {self.after.sensitivity}")
        return lines


def what_if(library: Library, run: ReviewRun, key: str, *, samples: Sequence[int] = (), add: bool = False) -> WhatIf:
    """The case's calibration now and after approving `samples` (default: those approve would take)."""
    (plan,) = plan_approvals(
        run.path, run.results, known=approvable_cases(library), cases=[key], samples=samples, all_new=False
    )
    store = golden_store(library)
    suite, case = plan.target.suite, plan.target.case
    manifest = store.load(suite, case, verify=False)
    kept = manifest.golden_hashes() if manifest is not None and add else []
    seen = {sha for sha, _ in kept}
    goldens = [hashes for _, hashes in kept]
    for candidate in plan.candidates:
        fp = store.fingerprint_of(candidate.data, hashlib.sha256(candidate.data).hexdigest())
        if fp.sha256 not in seen:
            seen.add(fp.sha256)
            goldens.append(fp.hashes)
    after = calibrate(goldens, store.others(suite, case))
    before = manifest.calibration_value() if manifest is not None else None
    count = len(manifest.goldens) if manifest is not None else 0
    return WhatIf(plan.key, before, after, count, len(goldens))
