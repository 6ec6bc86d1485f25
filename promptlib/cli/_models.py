"""`promptlib models`: the model table as a person reads it (one line a model, or one model in full) and as JSON."""

from __future__ import annotations

import datetime
from typing import Any

from promptlib.exceptions import UsageError
from promptlib.models._capabilities import Provider
from promptlib.models._pricing import model_price
from promptlib.models._rules import describe_sizes
from promptlib.models._table import ModelSpec, ModelTable

_PROVIDERS: tuple[Provider, ...] = ("azure", "openai")
_NAMES = {"azure": "Azure", "openai": "OpenAI"}


def table_json(table: ModelTable) -> dict[str, Any]:
    """Every model with inheritance resolved, where it comes from, and the source of each fact."""
    return {
        "as_of": table.as_of.isoformat() if table.as_of else None,
        "source_key": dict(table.source_key),
        "azure_api_versions": list(table.azure_api_versions),
        "fallback": table.fallback.model_dump(mode="json", exclude_none=True),
        "models": {name: model_json(table.models[name]) for name in table.names()},
    }


def model_json(spec: ModelSpec) -> dict[str, Any]:
    entry = spec.entry.model_dump(mode="json", exclude_none=True, exclude={"extends"})
    return {"origin": spec.origin, "extends": list(spec.chain), **entry}


def _short_sizes(spec: ModelSpec) -> str:
    sizes = spec.entry.sizes
    if sizes is None:
        return "any (wire rules)"
    parts = [f"WxH/{sizes.rule.multiple_of} ≤{sizes.rule.max_long_edge}"] if sizes.rule else []
    parts += [f"{len(sizes.listed)} sizes"] if sizes.listed else []
    return " + ".join(parts + (["auto"] if sizes.auto else []))


def _retires(spec: ModelSpec, today: datetime.date) -> str:
    dates = [(provider, spec.retirement(provider)) for provider in _PROVIDERS]
    shown = [f"{_NAMES[p]} {d.isoformat()}{' (retired)' if d < today else ''}" for p, d in dates if d is not None]
    return ", ".join(shown) or "-"


def format_table(table: ModelTable, today: datetime.date) -> str:
    """One line a model: sizes, qualities, Azure formats, streaming, image-out price, retirement."""
    rows = [("model", "sizes", "quality", "Azure formats", "stream", "$/1M out", "retires")]
    for name in table.names():
        spec = table.models[name]
        entry = spec.entry
        streaming = entry.streaming
        stream = "-" if streaming is None else (f"≤{streaming.max_partial_images}" if streaming.supported else "no")
        rows.append((
            name + (" *" if spec.origin != "table" else ""), _short_sizes(spec), " ".join(entry.qualities or ["any"]),
            " ".join(spec.formats("azure") or ["any"]), stream, f"{model_price(spec).image_out:.2f}",
            _retires(spec, today),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    notes = ["* declared or changed under models: in promptlib.yaml", "`promptlib models NAME` shows one model in full"]
    return "\n".join([*lines, "", *notes]) + "\n"


def format_model(table: ModelTable, name: str, today: datetime.date) -> str:
    """Everything the table says about one model, with the source of each fact."""
    spec = table.get(name)
    if spec is None:
        raise UsageError(f"no model {name!r} in the table or under models:; known: {', '.join(table.names())}")
    entry = spec.entry
    lines = [f"{name}" + (f" (version {entry.version})" if entry.version else "") + f" — from the {spec.origin}"]
    if spec.chain:
        lines.append(f"  extends        {' → '.join(spec.chain)}")
    if entry.sizes is not None:
        lines.append(f"  sizes          {describe_sizes(entry.sizes)}")
    facts: list[tuple[str, object]] = [
        ("qualities", entry.qualities), ("backgrounds", entry.backgrounds),
        ("input_fidelity", entry.input_fidelity if entry.input_fidelity != [] else ["not sent"]),
        ("moderation", entry.moderation), ("max_n", entry.max_n),
    ]  # fmt: skip
    lines += [f"  {label:<14} {_text(value)}" for label, value in facts if value is not None]
    for provider in _PROVIDERS:
        formats = spec.formats(provider)
        if formats is not None:
            lines.append(f"  formats        {_NAMES[provider]}: {', '.join(formats) or 'none'}")
    if entry.streaming is not None:
        stream = f"up to {entry.streaming.max_partial_images} partial images" if entry.streaming.supported else "no"
        lines.append(f"  streaming      {stream}")
    if entry.edits is not None:
        edits = entry.edits
        what = f"up to {edits.max_images} images{', mask' if edits.mask else ''}" if edits.supported else "no"
        lines.append(f"  edits          {what}")
    price = model_price(spec)
    per = f"${price.text_in:g} text in, ${price.image_in:g} image in, ${price.image_out:g} image out"
    lines.append(f"  prices         {per}, per 1M tokens")
    lines.append(f"  retires        {_retires(spec, today)}")
    if entry.successors:
        lines.append(f"  successors     {', '.join(entry.successors)}")
    lines += ["  sources:"] + [f"    {field}: {source}" for field, source in sorted(entry.sources.items())]
    return "\n".join(lines) + "\n"


def _text(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
