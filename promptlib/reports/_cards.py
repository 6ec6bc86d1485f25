"""The view model of one case card: a results.json case turned into plain values the macros print as they are.

Every decision (what a number looks like, which class a verdict gets, whether a distance is judged, what a link
points at) is made here, so the templates only loop and test. Links come from the `href` function the caller
passes: the report links files beside it (`relative_href`); a web app can link its own routes instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from promptlib.reports import _display as fmt
from promptlib.reports._diffs import Piece, TemplateDiff, template_diff, word_pieces
from promptlib.reports._links import approve_command, reject_command
from promptlib.reports._samples import Context, SampleView, Thumb, sample_view, thumb
from promptlib.reports._text_view import case_text_fact, case_text_misses

Href = Callable[[object], str | None]
APPROVABLE = frozenset({"failed", "new"})
LOW_SENSITIVITY_SENTENCE = (
    "Hashes cannot tell good from bad for this case: its approved goldens differ from each other about as much as "
    "they differ from other cases' goldens. It was only checked for blank output, duplicates of rejected images "
    "and the expectations, so look at the samples yourself."
)


@dataclass(frozen=True, slots=True)
class Chip:
    text: str
    css: str = ""  # one of ours ("low", "changed"), never data


@dataclass(frozen=True, slots=True)
class Facts:
    """The numbers behind the verdict; `matched` is empty for cases that drew nothing ("0/0" says nothing)."""

    deployment: str
    operation: str
    matched: str
    policy: str
    not_applied: str  # why the policy and thresholds did not decide ("no goldens", "low sensitivity"), or ""
    thresholds: str
    sensitivity: str
    requests: str
    text: str = ""  # "'20% off': 2 sample(s) show all of it (2 needed)"
    text_misses: tuple[str, ...] = ()  # a line per text some sample missed, with what was read instead


@dataclass(frozen=True, slots=True)
class ChangedView:
    """Changed since approval: both prompts, word-diffed, so the reviewer knows what the verdict is about."""

    versions: str
    old_label: str
    new_label: str
    old: list[Piece]
    new: list[Piece]


@dataclass(frozen=True, slots=True)
class InputView:
    """An edit's input image or mask, as sent with the request."""

    name: str
    role: str  # "image" or "mask"; empty when the name already says it
    is_mask: bool
    image: Thumb
    size: str


@dataclass(frozen=True, slots=True)
class GoldenView:
    image: Thumb
    name: str
    approved: str  # "Dana · 2026-10-20"


@dataclass(frozen=True, slots=True)
class PromptView:
    text: str
    parameters: list[tuple[str, str]]
    open: bool  # open where the reviewer has to judge the images


@dataclass(frozen=True, slots=True)
class Command:
    kind: Literal["approve", "reject"]
    text: str


@dataclass(frozen=True, slots=True)
class CaseView:
    anchor: str
    status: str  # as written (data attribute, badge text)
    status_css: str  # the status if it is one of ours, else "unknown"
    key: str
    template_id: str
    version: str
    chips: list[Chip]
    message: str
    facts: Facts
    low_sensitivity: bool
    changed: ChangedView | None
    warnings: list[str]
    inputs: list[InputView]
    samples: list[SampleView]
    goldens: list[GoldenView]
    template_diff: TemplateDiff | None
    prompt: PromptView | None
    commands: list[Command]


def case_key(case: Mapping[str, Any]) -> str:
    """suite/case, from the dict's key or its parts (older results may lack one)."""
    return str(case.get("key") or f"{case.get('suite', '?')}/{case.get('case', '?')}")


def case_view(
    case: Mapping[str, Any],
    *,
    anchor: str,
    run_id: str,
    known_statuses: Sequence[str],
    href: Href,
    template_change: object = None,
    cost_note: str = "",
) -> CaseView:
    """Everything a reviewer needs to accept or reject one case without opening results.json."""
    status = str(case.get("status") or "error")
    low = case.get("sensitivity") == "low"
    goldens = _list(case.get("goldens"))
    by_file = {str(g.get("file")): g for g in goldens}
    context: Context = "low" if low else "goldens" if goldens else "new"
    return CaseView(
        anchor=anchor,
        status=status,
        status_css=status if status in known_statuses else "unknown",
        key=case_key(case),
        template_id=fmt.text(case.get("template_id") or "?"),
        version=fmt.text(case.get("version") or ""),
        chips=_chips(case),
        message=fmt.text(case.get("message")),
        facts=_facts(case, cost_note),
        low_sensitivity=low,
        changed=_changed(case.get("changed_since_approval")),
        warnings=[fmt.text(w) for w in case.get("warnings") or []],
        inputs=_inputs(case.get("inputs"), href),
        samples=[
            sample_view(s, case.get("thresholds") or {}, by_file, context, href) for s in _list(case.get("samples"))
        ],
        goldens=[_golden(g, href) for g in goldens],
        template_diff=template_diff(template_change),
        prompt=_prompt(case),
        commands=_commands(case, status, run_id),
    )


def _list(value: object) -> list[Mapping[str, Any]]:
    """The mappings of a list field (older or hand-edited results may hold anything there)."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _chips(case: Mapping[str, Any]) -> list[Chip]:
    """The flags worth a glance next to the case's name."""
    chips = []
    if case.get("sensitivity") == "low":
        chips.append(Chip("low sensitivity", "low"))
    changed = case.get("changed_since_approval")
    if isinstance(changed, Mapping):
        chips.append(Chip(f"changed since approval: {fmt.versions(changed)}", "changed"))
    if case.get("expected_outcome") not in (None, "ok"):
        chips.append(Chip(f"expects {case.get('expected_outcome')}"))
    return chips


def _facts(case: Mapping[str, Any], cost_note: str) -> Facts:
    """Deployment, k/K against the policy, thresholds and what the requests cost.

    Without goldens, or with low sensitivity, the policy and thresholds decided nothing, and the card says so.
    """
    drawn = fmt.count(case.get("drawn"))
    not_applied = ""
    if drawn and (not case.get("goldens") or case.get("sensitivity") == "low"):
        not_applied = "no goldens" if not case.get("goldens") else "low sensitivity"
    thresholds = case.get("thresholds")
    return Facts(
        deployment=" · ".join(fmt.text(v) for v in (case.get("deployment"), case.get("model")) if v) or "—",
        operation=fmt.text(case.get("operation")),
        matched=f"{fmt.count(case.get('matches'))}/{drawn}" if drawn else "",
        policy=fmt.policy(case.get("policy") or {}),
        not_applied=not_applied,
        thresholds=fmt.thresholds(thresholds) if drawn and isinstance(thresholds, Mapping) and thresholds else "",
        sensitivity=fmt.text(case.get("sensitivity")) if drawn else "",
        requests=_requests(case, cost_note),
        text=case_text_fact(case.get("text")),
        text_misses=case_text_misses(case.get("text")),
    )


def _requests(case: Mapping[str, Any], cost_note: str) -> str:
    """Requests, cache hits and what they cost, for spotting an unexpectedly expensive case."""
    text = (
        f"{fmt.count(case.get('requests'))} sent, {fmt.count(case.get('cache_hits'))} from cache, "
        f"{fmt.money(case.get('cost'))}"
    )
    if case.get("estimated_cost"):
        text += f" (est. {fmt.money(case.get('estimated_cost'))})"
    return text + (f" — {cost_note}" if cost_note else "")


def _changed(changed: object) -> ChangedView | None:
    if not isinstance(changed, Mapping):
        return None
    old, new = word_pieces(fmt.text(changed.get("old_prompt")), fmt.text(changed.get("new_prompt")))
    return ChangedView(
        versions=fmt.versions(changed),
        old_label=f"Approved prompt ({fmt.version(changed.get('from_version'))})",
        new_label=f"Current prompt ({fmt.version(changed.get('to_version'))})",
        old=old,
        new=new,
    )


def _inputs(inputs: object, href: Href) -> list[InputView]:
    """An edit's input images and mask (`inputs` in results.json), in the order they were sent."""
    views = []
    for item in _list(inputs):
        role = fmt.text(item.get("role") or "image")
        name = fmt.text(item.get("name") or role)
        width, height = item.get("width"), item.get("height")
        size = f"{width}×{height}" if isinstance(width, int) and isinstance(height, int) else ""
        views.append(
            InputView(
                name=name,
                role=role if role != name else "",
                is_mask=role == "mask",
                size=size,
                image=thumb(item.get("file"), f"{role} {name}", width, height, href),
            )
        )
    return views


def _golden(golden: Mapping[str, Any], href: Href) -> GoldenView:
    """One approved golden, with who approved it and when."""
    who = " · ".join(
        v for v in (fmt.text(golden.get("approved_by")), fmt.date(golden.get("approved_at"), short=True)) if v
    )
    return GoldenView(
        image=thumb(golden.get("file"), "golden", golden.get("width"), golden.get("height"), href),
        name=fmt.text(golden.get("file")).rsplit("/", 1)[-1],
        approved=who,
    )


def _prompt(case: Mapping[str, Any]) -> PromptView | None:
    """The rendered prompt and parameters; open by default where the reviewer has to judge the images."""
    prompt, parameters = case.get("prompt"), case.get("parameters")
    parameters = parameters if isinstance(parameters, Mapping) else {}
    if not prompt and not parameters:
        return None
    return PromptView(
        text=fmt.text(prompt),
        parameters=[(fmt.text(k), fmt.text(v)) for k, v in parameters.items()],
        open=case.get("status") != "passed" and not case.get("changed_since_approval"),
    )


def _commands(case: Mapping[str, Any], status: str, run_id: str) -> list[Command]:
    """Approve for failed/new cases with samples; reject wherever a human must judge the images."""
    if not case.get("samples"):
        return []
    key, commands = case_key(case), []
    if status in APPROVABLE:
        commands.append(Command("approve", approve_command(run_id, key)))
    if status in APPROVABLE or case.get("sensitivity") == "low":
        commands.append(Command("reject", reject_command(run_id, key)))
    return commands
