"""`check`'s model part: each template's parameters against the model of every deployment it will run on.

A template runs on its own ``deployment:`` (else the project default) when an app calls it, and on each
eval case's deployment (the suite's, else the template's, else the default) in CI; every one of those
models must accept its parameters. Models the table does not know, and models close to or past their
retirement date, are warnings: the project still works, but someone should look.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from promptlib._library import Library
from promptlib.config._settings import Settings
from promptlib.core._bounded import ReadRefused, read_text
from promptlib.core._problems import Problem
from promptlib.core._yaml import YamlDocument, parse_yaml
from promptlib.evals._cases import EvalCase
from promptlib.exceptions import PromptlibError
from promptlib.models._capabilities import Provider
from promptlib.models._rules import edit_input_problems, parameter_problems, size_problem
from promptlib.prompts._templates import PromptTemplate
from promptlib.prompts._variables import ImageVariable

#: `check` warns this many days ahead of a model's retirement.
RETIREMENT_WARNING_DAYS = 30


@dataclass(frozen=True)
class ModelProblem:
    """A parameter a model refuses, and the (template, model, field) key it is reported once under."""

    key: tuple[str, str, str]
    problem: Problem


def use_problems(library: Library, template: PromptTemplate, deployment: str, by: str) -> list[ModelProblem]:
    """What the model of ``deployment`` refuses in ``template`` (sent there ``by`` something), each with the
    key `check` reports it once under: (template, model, field)."""
    settings = library.settings
    spec = settings.model_spec(deployment)
    if spec is None:
        return []  # an unknown model: wire rules only (warned about once, in model_warnings)
    kind = settings.deployment(deployment).kind
    provider: Provider = "openai" if kind == "openai" else "azure"
    found = parameter_problems(template.parameters, template.operation, spec, provider)
    found += edit_input_problems(spec, *_edit_inputs(template))
    problems: list[ModelProblem] = []
    doc: YamlDocument | None = None
    for field, message in found:
        if doc is None:
            doc = _parsed(template.path, library.settings.root)
        where = f"deployment {deployment!r}, {by}"
        problem = Problem(template.path, _line(doc, field), f"{_label(field)}: {message} ({where})")
        problems.append(ModelProblem((template.id, spec.name, field), problem))
    return problems


def default_use_problems(library: Library, template: PromptTemplate) -> list[ModelProblem]:
    """``use_problems`` on the deployment an app call sends the template to (its own, else the default)."""
    config = library.settings.config
    deployment = template.deployment or config.default_deployment
    if deployment not in config.deployments:
        return []
    return use_problems(library, template, deployment, "its default deployment")


def case_deployment(library: Library, case: EvalCase, template: PromptTemplate) -> str:
    return case.deployment or template.deployment or library.settings.config.default_deployment


def expectation_problem(library: Library, case: EvalCase, template: PromptTemplate) -> Problem | None:
    """``expect: {size: WxH}`` that the case's model cannot make (a case that could never pass)."""
    size = case.expect.size
    if size is None or case.path is None:
        return None
    deployment = case_deployment(library, case, template)
    spec = library.settings.model_spec(deployment) if deployment in library.settings.config.deployments else None
    sizes = spec.entry.sizes if spec is not None else None
    message = size_problem(sizes, size, spec.name) if spec is not None and sizes is not None else None
    if not message:
        return None
    line = _expect_size_line(case, library.settings.root)
    return Problem(case.path, line, f"cases[{case.id}].expect.size: {message} (deployment {deployment!r})")


def unique(problems: Iterable[ModelProblem]) -> list[Problem]:
    """Each (template, model, field) once, at its first use: the template's own deployment, then suites in order."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for found in problems:
        if found.key not in seen:
            seen.add(found.key)
            kept.append(found.problem)
    return kept


def _expect_size_line(case: EvalCase, root: Path) -> int | None:
    """The line of the case's ``expect.size`` (else of the case): its entry is the one starting at case.line."""
    doc = _parsed(case.path, root) if case.path is not None else None
    entries = doc.data.get("cases") if doc is not None and isinstance(doc.data, dict) else None
    if doc is None or not isinstance(entries, list):
        return case.line
    index = next((i for i in range(len(entries)) if doc.line_of(("cases", i)) == case.line), None)
    return case.line if index is None else doc.line_of(("cases", index, "expect", "size"))


def model_warnings(settings: Settings, library: Library, today: datetime.date) -> list[Problem]:
    """Unknown models (one line per model), models near or past retirement, and deprecated ``user``."""
    path = settings.deployments_path or Path("promptlib.yaml")
    warnings: list[Problem] = []
    unknown: dict[str, list[str]] = {}
    for name, deployment in settings.config.deployments.items():
        spec = settings.model_spec(name)
        line = settings.line_of("deployments", name, "model") or settings.line_of("deployments", name)
        if spec is None:
            unknown.setdefault(deployment.model, []).append(name)
            continue
        provider: Provider = "openai" if deployment.kind == "openai" else "azure"
        message = retirement_message(name, spec.name, spec.retirement(provider), provider, today, spec.entry.successors)
        if message:
            warnings.append(Problem(path, line, message))
    for model, names in unknown.items():
        line = settings.line_of("deployments", names[0], "model")
        warnings.append(Problem(path, line, unknown_model_message(model, names)))
    return warnings


def unknown_model_message(model: str, deployments: Iterable[str]) -> str:
    listed = ", ".join(repr(d) for d in deployments)
    return (
        f"model {model!r} (deployment {listed}) is not in promptlib's model table: its parameters are checked "
        "against the API's wire rules only and priced at the dearest known rates; declare it under models: in "
        f"promptlib.yaml (e.g. `models: {{{model}: {{extends: gpt-image-2}}}}`) — `promptlib models` lists the table"
    )


def retirement_message(
    deployment: str, model: str, retires: datetime.date | None, provider: Provider, today: datetime.date,
    successors: list[str] | None,
) -> str | None:  # fmt: skip
    """The warning for a model retired or retiring within RETIREMENT_WARNING_DAYS, else None."""
    if retires is None:
        return None
    days = (retires - today).days
    if days > RETIREMENT_WARNING_DAYS:
        return None
    where = "Azure" if provider == "azure" else "OpenAI"
    move = f"move it to {' or '.join(successors)}" if successors else "move it to a current model"
    if days < 0:
        when = f"was retired on {where} on {retires.isoformat()} ({-days} days ago): its requests fail"
    else:
        when = f"retires on {where} on {retires.isoformat()} (in {days} days)"
    return f"deployment {deployment!r} serves {model}, which {when}; {move} (`promptlib models` lists them)"


def deprecation_warnings(template: PromptTemplate) -> list[Problem]:
    """``user`` still works but is deprecated in favour of ``safety_identifier`` (openai 3.57)."""
    if template.parameters.user is None:
        return []
    line = _line(_parsed(template.path, template.project_root), "user")
    return [Problem(template.path, line, (
        "parameters.user is deprecated in favour of safety_identifier; keep user only for deployments on "
        "api-versions that predate safety_identifier"
    ))]  # fmt: skip


def _edit_inputs(template: PromptTemplate) -> tuple[int, int]:
    images = [s for s in template.variables.values() if isinstance(s, ImageVariable)]
    return sum(s.role == "image" for s in images), sum(s.role == "mask" for s in images)


def _label(field: str) -> str:
    if field == "operation":
        return "operation"
    if field in ("image", "mask"):
        return f"variables ({field})"
    return f"parameters.{field}"


def _parsed(path: Path, root: Path) -> YamlDocument | None:
    """The template's YAML again, for the line of a parameter (bounded like every read of a project file)."""
    try:
        return parse_yaml(read_text(path, within=root), path)
    except (OSError, UnicodeDecodeError, ReadRefused, PromptlibError):
        return None


def _line(doc: YamlDocument | None, field: str) -> int | None:
    if field == "operation":
        return _line_in(doc, ("operation",))
    if field in ("image", "mask"):
        return _line_in(doc, ("variables",))
    return _line_in(doc, ("parameters", field)) or _line_in(doc, ("parameters",))


def _line_in(doc: YamlDocument | None, loc: tuple[str, ...]) -> int | None:
    return doc.line_of(loc) if doc is not None else None
