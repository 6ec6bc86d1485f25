"""``promptlib calibrate``: how much does this case's output vary, and what would the threshold be?

Draws fresh samples (never from the cache: spread is the question), measures
their leave-one-out nearest-neighbour spread against the distance to other
cases' goldens, and, when the case has goldens, how many samples they would pass.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import anyio

from promptlib._library import Library
from promptlib.client._requests import ImageRequest
from promptlib.evals._cases import select_cases
from promptlib.evals._runner import golden_store
from promptlib.exceptions import UsageError
from promptlib.goldens._compare import MATCHED, calibrate, compare_sample
from promptlib.goldens._hashing import VOTING, fingerprint
from promptlib.goldens._review import other_goldens


def calibrate_case(library: Library, target: str, samples: int, deployment: str | None) -> Iterator[str]:
    cases, _ = select_cases(library, [target])
    if len(cases) != 1:
        raise UsageError(f"calibrate takes one SUITE/CASE, {target!r} names {len(cases)} cases")
    case = cases[0]
    rendered = library.get(case.template_id).render(case.variables)
    # The deployment `promptlib eval` would use: --deployment, PROMPTLIB_DEPLOYMENT, the suite's, the template's.
    client = library.clients.get(library.settings.deployment_name(deployment, case.deployment or rendered.deployment))
    request = ImageRequest.from_rendered(
        rendered,
        deployment=client.endpoint.name,
        model=client.endpoint.model,
        sample=10_000,
        n=samples,
        variant=library.settings.deployment(client.endpoint.name).output_identity(),
    )

    async def draw() -> list[dict[str, int]]:
        try:
            result = await client.agenerate(request)
        finally:
            await library.aclose()
        return [fingerprint(image.data).hashes for image in result.images]

    drawn = anyio.run(draw)
    store = golden_store(library)
    others = other_goldens(store, case.suite, case.id)
    measured = calibrate(drawn, others)
    yield f"{case.key}: {len(drawn)} fresh samples on {client.endpoint.name} ({client.endpoint.model})"
    for alg in VOTING:
        yield (
            f"  {alg:<6} spread (leave-one-out max) {measured.loo_nn_max[alg]}, other cases p5 "
            f"{measured.cross_case_p5[alg]} ({measured.cross_source}) -> threshold {measured.thresholds[alg]}"
        )
    yield f"  sensitivity: {measured.sensitivity}" + (
        " (hashes cannot separate this case's good samples from unrelated images)"
        if measured.sensitivity == "low"
        else ""
    )
    manifest = store.load(case.suite, case.id)
    if manifest is None:
        yield "  no goldens yet: approve samples from `promptlib eval` to set these thresholds"
        return
    current = manifest.calibration_value()
    verdicts = [
        compare_sample("", hashes, manifest.golden_hashes(), manifest.rejected_hashes(), current).verdict
        for hashes in drawn
    ]
    passed = sum(v in MATCHED for v in verdicts)
    nearest = [min(abs(h["phash"] ^ g["phash"]).bit_count() for _, g in manifest.golden_hashes()) for h in drawn]
    shown = ", ".join(f"{alg} {current.thresholds[alg]}" for alg in VOTING if alg in current.thresholds)
    yield (
        f"  against the {len(manifest.goldens)} approved golden(s) (thresholds {shown}): "
        f"{passed}/{len(drawn)} samples match; pHash nearest distance min {min(nearest)}, "
        f"median {statistics.median(nearest):g}, max {max(nearest)}"
    )
