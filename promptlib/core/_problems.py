"""Turn pydantic validation errors into ``file:line: message`` problems people can act on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from promptlib.core._hints import did_you_mean
from promptlib.core._yaml import Location, YamlDocument
from promptlib.exceptions import PromptlibError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file; ``str()`` is the line ``promptlib check`` prints."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return str(PromptlibError(self.message, path=self.path, line=self.line))


def validate_document(model: type[BaseModel], doc: YamlDocument, error: type[PromptlibError], what: str) -> Any:
    """Validate ``doc.data`` against ``model``; raise ``error`` carrying every problem found."""
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__ if doc.data is not None else "empty"
        raise_problems(error, [Problem(doc.path, 1, f"{what} must be a YAML mapping, not {kind}")])
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise_problems(error, list(problems_from(exc, doc, model)))


def problems_from(exc: ValidationError, doc: YamlDocument, model: type[BaseModel]) -> Iterable[Problem]:
    for err in exc.errors(include_url=False):
        names_key = err["type"] in ("extra_forbidden", "missing")
        loc = _present_location(tuple(err["loc"]), doc, names_key)
        field = _label(loc, doc.data)
        message = _message(err, loc, doc, model)
        line = doc.line_of(loc) if loc else _named_line(message, doc)
        yield Problem(doc.path, line, f"{field}: {message}" if field else message)


def _label(loc: Location, data: Any) -> str:
    """`cases[lamp].expect.size`: list items by their id or name (else `[#3]`, counted from 1), as people
    count them, rather than pydantic's 0-based `cases.2`."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and isinstance(data, list) and part < len(data):
            item = data[part]
            name = next(
                (
                    item[k]
                    for k in ("id", "name", "from_examples")
                    if isinstance(item, dict) and isinstance(item.get(k), str | int)
                ),
                None,
            )
            label = f"[{name}]" if name is not None else f"[#{part + 1}]"
            parts[-1:] = [f"{parts[-1]}{label}"] if parts else [label]
            data = item
            continue
        parts.append(str(part))
        data = data.get(part) if isinstance(data, dict) else None
    return ".".join(parts)


def _named_line(message: str, doc: YamlDocument) -> int | None:
    """A whole-model check names the field it is about first (`policy.min_matches 3 exceeds …`): its line."""
    match = re.match(r"([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\b", message)
    if match:
        location = tuple(match.group(1).split("."))
        if location in doc.lines:
            return doc.lines[location]
    return doc.line_of(())


def _present_location(loc: tuple[Any, ...], doc: YamlDocument, names_key: bool) -> Location:
    """Drop union tags and other parts of pydantic's location that are not in the file."""
    kept: list[str | int] = []
    data: Any = doc.data
    for position, part in enumerate(loc):
        in_mapping = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_mapping and position < len(loc) - 1 and not isinstance(data[part], dict | list):
            continue  # a union's tag that happens to be a key here too (`from_examples`), not a step into it
        if in_mapping or in_list:
            data = data[part]
            kept.append(part)
        elif names_key and part == loc[-1] and isinstance(data, dict):
            kept.append(part)  # a missing or unknown key: name it
    return tuple(kept)


def _message(err: Any, loc: Location, doc: YamlDocument, model: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field" + _did_you_mean(str(loc[-1]) if loc else "", _model_at(model, loc[:-1]))
    if kind == "missing":
        return "required field is missing"
    message = str(err["msg"])
    return message.removeprefix("Value error, ")


def _model_at(model: type[BaseModel], loc: Location) -> list[type[BaseModel]]:
    """The models whose fields may apply at ``loc``, through lists, unions and their tags (empty: unclear)."""
    current = [model]
    for part in loc:
        fields = [m.model_fields[str(part)] for m in current if str(part) in m.model_fields]
        inner = [found for f in fields for found in _models_in(f.annotation)]
        if inner:
            current = inner
        # else: a list index or a union's tag (even one named like a plain field, `from_examples`): same models
    return current


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds: itself, or inside list[...], X | Y, Annotated[...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _did_you_mean(name: str, models: list[type[BaseModel]]) -> str:
    hint = did_you_mean(name, [field for m in models for field in m.model_fields])
    return f" ({hint})" if hint else ""


def raise_problems(error: type[PromptlibError], problems: list[Problem]) -> Any:
    """Raise one error whose message is the first problem and which carries them all."""
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    exc = error(first.message + more, path=first.path, line=first.line)
    exc.problems = problems  # type: ignore[attr-defined]
    raise exc


def problems_of(exc: PromptlibError) -> list[Problem]:
    """Every problem an error carries (one unless it came from validate_document)."""
    carried = getattr(exc, "problems", None)
    if carried:
        return list(carried)
    return [Problem(exc.path or Path("."), exc.line, exc.message)]
