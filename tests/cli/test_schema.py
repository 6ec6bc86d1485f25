"""JSON Schemas for editors: one per file kind, strict like the loader, and the committed copies cannot drift."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from promptlib.cli._schema import json_schemas, schema_text

REPO_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
KINDS = ("template", "suite", "config", "models", "results", "approvals")
#: Files people write are read strictly; results.json is written by promptlib and keeps a newer version's fields.
AUTHORED = ("template", "suite", "config", "models", "approvals")


def test_one_schema_per_file_kind() -> None:
    """One schema per file kind (the five people write or export, and results.json): 2020-12 drafts with titles."""
    schemas = json_schemas()
    assert tuple(schemas) == KINDS
    for schema in schemas.values():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["title"].startswith("promptlib ")
        assert schema["type"] == "object"


def test_schemas_are_strict_like_the_loader() -> None:
    """Unknown keys are flagged in the editor too (additionalProperties: false), and required fields are marked."""
    schemas = json_schemas()
    for kind in AUTHORED:
        assert schemas[kind]["additionalProperties"] is False
    assert schemas["results"]["additionalProperties"] is True
    assert set(schemas["template"]["required"]) == {"version", "template"}
    assert schemas["template"]["properties"]["version"]["minimum"] == 1
    assert schemas["suite"]["required"] == ["cases"]


def test_template_schema_knows_the_parameter_values() -> None:
    """Editors can complete sizes and formats from the schema."""
    text = json.dumps(json_schemas()["template"])
    for value in ("1536x1024", "transparent", "jpeg", "input_fidelity", "moderation"):
        assert value in text


def test_schema_command_prints_every_schema(invoke: Callable[..., Result]) -> None:
    """`promptlib schema` prints every schema as JSON on stdout (no project needed)."""
    result = invoke("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json_schemas()


def test_schema_command_writes_files(invoke: Callable[..., Result], tmp_path: Path) -> None:
    """`promptlib schema --out DIR` writes <kind>.schema.json files, creating DIR."""
    out = tmp_path / "nested" / "schemas"
    result = invoke("schema", "--out", str(out))
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [f"{kind}.schema.json" for kind in sorted(KINDS)]
    for kind, schema in json_schemas().items():
        assert (out / f"{kind}.schema.json").read_text() == schema_text(schema)
        assert f"wrote {out / f'{kind}.schema.json'}" in result.stdout


@pytest.mark.skipif(not REPO_SCHEMAS.is_dir(), reason="no schemas/ at the repository root")
@pytest.mark.parametrize("kind", KINDS)
def test_committed_schemas_match_the_code(kind: str) -> None:
    """schemas/ at the repo root equals `promptlib schema` output; regenerate with `promptlib schema --out schemas`."""
    committed = (REPO_SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(json_schemas()[kind]), "run `promptlib schema --out schemas`"
