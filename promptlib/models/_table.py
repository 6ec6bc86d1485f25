"""The model table: the shipped `models/models.yaml`, with a project's ``models:`` laid over it.

An entry inherits every field it does not set from ``extends:``; a promptlib.yaml entry for a model the
table has starts from the table's entry. Resolution happens once per table; lookups are dictionary reads.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from promptlib.exceptions import ConfigError
from promptlib.models._capabilities import MODEL_FIELDS, ModelEntry, ModelTableFile, Provider

TABLE_RESOURCE = "models.yaml"


class ModelTableError(ValueError):
    """An entry that cannot be resolved (``extends`` an unknown model, or itself); names the entry."""

    def __init__(self, message: str, model: str) -> None:
        super().__init__(message)
        self.model = model


@dataclass(frozen=True)
class ModelSpec:
    """A model with its inheritance resolved: ``None`` fields are not constrained."""

    name: str
    entry: ModelEntry
    origin: str = "table"  # table | promptlib.yaml | table + promptlib.yaml
    chain: tuple[str, ...] = ()  # the models it extends, nearest first

    def retirement(self, provider: Provider) -> datetime.date | None:
        return (self.entry.retires or {}).get(provider)

    def formats(self, provider: Provider) -> list[str] | None:
        formats = self.entry.output_formats
        return None if formats is None else list(formats.get(provider, []))


@dataclass(frozen=True)
class ModelTable:
    """Every model by name, plus the fallback prices and token counts for models it does not know."""

    entries: Mapping[str, ModelEntry]  # as written, before inheritance
    models: Mapping[str, ModelSpec]
    fallback: ModelEntry
    azure_api_versions: tuple[str, ...] = ()
    as_of: datetime.date | None = None
    source_key: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> ModelSpec | None:
        return self.models.get(name)

    def names(self) -> list[str]:
        return sorted(self.models)

    def with_overrides(self, overrides: Mapping[str, ModelEntry]) -> ModelTable:
        """This table with promptlib.yaml's ``models:`` laid over it (ModelTableError names a broken entry)."""
        if not overrides:
            return self
        raw = dict(self.entries)
        origins = dict.fromkeys(raw, "table")
        for name, entry in overrides.items():
            if name in raw and entry.extends is None:
                raw[name] = _overlay(raw[name], entry)
                origins[name] = "table + promptlib.yaml"
            else:
                raw[name] = entry
                origins[name] = "promptlib.yaml" if name not in origins else "table + promptlib.yaml"
        resolved = _resolve_all(raw, origins)
        return ModelTable(raw, resolved, self.fallback, self.azure_api_versions, self.as_of, self.source_key)


def _overlay(base: ModelEntry, top: ModelEntry) -> ModelEntry:
    """``base`` with every field ``top`` sets replaced, and their sources merged (``top`` wins)."""
    update: dict[str, Any] = {name: getattr(top, name) for name in top.model_fields_set if name in MODEL_FIELDS}
    update["sources"] = {**base.sources, **top.sources}
    update["extends"] = base.extends
    return base.model_copy(update=update)


def _resolve_all(raw: Mapping[str, ModelEntry], origins: Mapping[str, str]) -> dict[str, ModelSpec]:
    resolved: dict[str, ModelSpec] = {}

    def resolve(name: str, seen: tuple[str, ...]) -> ModelSpec:
        if name in resolved:
            return resolved[name]
        entry = raw[name]
        parent_name = entry.extends
        if parent_name is None:
            spec = ModelSpec(name, entry, origins.get(name, "table"))
        else:
            if parent_name in seen or parent_name == name:
                cycle = " → ".join((*seen, name, parent_name))
                raise ModelTableError(f"extends: {name} extends itself ({cycle}); extend a model that does not", name)
            if parent_name not in raw:
                known = ", ".join(sorted(raw))
                message = f"extends: {parent_name!r} is neither in promptlib's model table nor under models:"
                raise ModelTableError(f"{message} (known: {known})", name)
            parent = resolve(parent_name, (*seen, name))
            merged = _overlay(parent.entry, entry).model_copy(update={"extends": parent_name})
            spec = ModelSpec(name, merged, origins.get(name, "table"), (parent_name, *parent.chain))
        resolved[name] = spec
        return spec

    for name in raw:
        resolve(name, ())
    return resolved


@cache
def shipped_table() -> ModelTable:
    """The table shipped in the package (read and checked once per process)."""
    from promptlib.core._problems import validate_document
    from promptlib.core._yaml import parse_yaml

    resource = files("promptlib.models").joinpath(TABLE_RESOURCE)
    text = resource.read_text(encoding="utf-8")
    doc = parse_yaml(text, Path(str(resource)), error=ConfigError)
    data: ModelTableFile = validate_document(ModelTableFile, doc, ConfigError, "the model table")
    try:
        resolved = _resolve_all(data.models, {})
    except ValueError as exc:
        raise ConfigError(str(exc), path=Path(str(resource))) from None
    versions = tuple(data.azure_api_versions)
    return ModelTable(data.models, resolved, data.fallback, versions, data.as_of, dict(data.source_key))
