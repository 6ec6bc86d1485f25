"""JSON Schemas for the file formats, so editors validate and complete them: templates, suites, promptlib.yaml,
and the model table (the shipped `models/models.yaml`, whose entries are also the shape of ``models:``); and the
files promptlib writes for others to read: a run's results.json and report.html's approvals.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from promptlib.config._settings import ProjectConfig
from promptlib.core._atomic import atomic_write_text
from promptlib.evals._results import results_schema
from promptlib.evals._suites import SuiteFile
from promptlib.models._capabilities import ModelTableFile
from promptlib.prompts._template_file import TemplateFile
from promptlib.review._approvals import approvals_schema

SCHEMAS: dict[str, type[BaseModel]] = {
    "template": TemplateFile,
    "suite": SuiteFile,
    "config": ProjectConfig,
    "models": ModelTableFile,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """Schema per file kind, with the draft and a stable id; `results` is the shape of a run's results.json."""
    out = {}
    for kind, model in SCHEMAS.items():
        schema = model.model_json_schema(mode="validation")
        out[kind] = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    out["results"] = {"$schema": "https://json-schema.org/draft/2020-12/schema", **results_schema()}
    out["approvals"] = {"$schema": "https://json-schema.org/draft/2020-12/schema", **approvals_schema()}
    return out


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    written = []
    for kind, schema in json_schemas().items():
        path = directory / f"{kind}.schema.json"
        atomic_write_text(path, schema_text(schema))
        written.append(path)
    return written
