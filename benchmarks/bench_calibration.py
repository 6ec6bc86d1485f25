"""Calibration at scale: re-verifying every case's thresholds, as `promptlib check` and `eval` do.

Each case's calibration measures its goldens against every other case's goldens, so N cases cost N²
distances. The baseline, measured in the same run, is that work done one distance at a time in Python (what
promptlib did before the goldens were packed). The packed way is what `check` does now: every case's hashes
read once into `GoldenHashes`, then each case calibrated against `every.others(case)`. Hashes are random
64-bit integers (3 goldens a case), so no image is read; the store's reading and sha256 checks are not
timed here. Both ways must give the same calibration for every case, and the script says so.

    python benchmarks/bench_calibration.py [--cases 1000 3000] [--goldens 3]
"""

from __future__ import annotations

import argparse
import random
import time

from promptlib.goldens._compare import calibrate
from promptlib.goldens._hashing import VOTING
from promptlib.goldens._population import GoldenHashes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--goldens", type=int, default=3)
    parser.add_argument("--baseline-sample", type=int, default=60, help="cases timed one by one (scaled up)")
    args = parser.parse_args()
    print(f"{'cases':>6} {'one by one (s)':>15} {'packed (s)':>11} {'ratio':>7}  same calibrations")
    for count in args.cases:
        rng = random.Random(count)
        found = {
            ("suite", f"case-{i}"): [{alg: rng.getrandbits(64) for alg in VOTING} for _ in range(args.goldens)]
            for i in range(count)
        }
        keys = list(found)
        sampled = keys[:: max(1, count // args.baseline_sample)]

        started = time.perf_counter()
        one_by_one = {}
        for key in sampled:  # the baseline is quadratic: time a spread of cases and scale to all of them
            others = [hashes for other, listed in found.items() if other != key for hashes in listed]
            one_by_one[key] = calibrate(found[key], others)
        baseline = (time.perf_counter() - started) * count / len(sampled)

        started = time.perf_counter()
        every = GoldenHashes(found)
        packed = {key: calibrate(found[key], every.others(key)) for key in keys}
        elapsed = time.perf_counter() - started

        same = all(packed[key] == expected for key, expected in one_by_one.items())
        print(f"{count:>6} {baseline:>15.2f} {elapsed:>11.2f} {elapsed / baseline:>6.3f}×  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
