"""A case's verdict from its samples: m-of-K against the goldens, then the status and message a reviewer reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from promptlib.client._results import GenerationResult
from promptlib.evals._results import CaseResult
from promptlib.evals._text_check import text_failure, text_verdict
from promptlib.exceptions import ContentBlocked
from promptlib.goldens._compare import MATCHED, Policy


def decide(result: CaseResult, policy: Policy) -> Literal["pass", "fail", "top-up"]:
    """Count the matches so far; pass, fail, or draw the top-up (m-of-K)."""
    samples = result.samples
    matches = sum(s.verdict in MATCHED for s in samples)
    result.matches, result.drawn = matches, len(samples)
    if result.sensitivity == "low" or not result.goldens:
        return "pass"
    return policy.decide(matches, len(samples))


def conclude(
    result: CaseResult,
    policy: Policy,
    *,
    goldens: bool,
    filtered: Sequence[str],
    approve: str,
    texts: Sequence[Any] = (),
) -> None:
    """The case's status and message from its samples; ``approve`` is the command for a case without goldens,
    ``texts`` what every sample must show (judged by the case's m of K)."""
    decision = decide(result, policy)
    degenerate = [s for s in result.samples if s.verdict == "blank"]
    rejected = [s for s in result.samples if s.verdict == "looks-rejected"]
    failures = sorted({f for s in result.samples for f in s.failures})
    if texts:
        result.text = text_verdict(list(texts), result.samples, policy.min_matches)
        failures += [failure] if (failure := text_failure(result.text)) else []
    result.warnings = sorted({s.note for s in result.samples if s.note.startswith("palette drift")}
                             | set(filtered))  # fmt: skip
    if result.text is not None and text_failure(result.text) is None:
        result.warnings += result.text.misses  # within m of K, but a reviewer should see what was misread
    changed = result.changed_since_approval
    suffix = ""
    if changed and changed["from_version"] != changed["to_version"]:
        suffix = f"; changed since approval: v{changed['from_version']} → v{changed['to_version']}"
    elif changed:
        suffix = f"; changed since approval: v{changed['to_version']} (content changed, version not bumped)"
    if degenerate:
        result.status, result.message = "degenerate", f"blank or uniform output: {degenerate[0].note}"
    elif rejected:
        result.status, result.message = "failed", rejected[0].note
    elif failures:
        result.status, result.message = "failed", "; ".join(failures)
    elif not goldens:
        result.status, result.message = "new", f"no goldens yet; review the samples, then: {approve}"
    elif result.sensitivity == "low":
        result.status = "passed"
        result.message = (
            "low sensitivity: hashes cannot tell good from bad for this case; checked only for "
            "blank output, look-alikes of rejected images and expectations"
        )
    elif decision == "pass":
        result.status, result.message = "passed", f"{result.matches} of {result.drawn} samples match the goldens"
    else:
        result.status = "failed"
        result.message = f"only {result.matches} of {result.drawn} samples match the goldens"
    result.message += suffix


def blocked(result: CaseResult, exc: ContentBlocked, *, expected: bool) -> None:
    """A safety block: what the case wanted (``expected``), or a status of its own."""
    what = f"blocked by the safety system ({exc.code or 'no code'})"
    if expected:
        result.status, result.message = "passed", f"{what}, as expected"
    else:
        result.status, result.message = "blocked", f"{what}; if this is intended, set expect: {{outcome: blocked}}"


def filtered_note(generation: GenerationResult) -> str:
    """Say that the output filter removed some of a request's images; the case is judged on the rest."""
    categories = sorted({c for f in generation.filtered for c in f.categories})
    why = f" ({', '.join(categories)})" if categories else ""
    total = len(generation.images) + len(generation.filtered)
    return (f"the output filter removed {len(generation.filtered)} of {total} images{why}; the case is judged on "
            "the others")  # fmt: skip
