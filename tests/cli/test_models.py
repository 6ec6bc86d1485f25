"""`promptlib models [NAME] [--json]`: the model table, with the project's `models:` when run in one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from promptlib.cli._models import table_json
from promptlib.models._table import shipped_table


def test_the_table_has_one_line_per_model(invoke: Callable[..., Result], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)  # no project: the shipped table
    result = invoke("models")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line and line[0].isalnum()}
    assert set(shipped_table().names()) <= set(rows)
    assert "WxH/16 ≤3840 + auto" in rows["gpt-image-2"] and "xhigh max" in rows["gpt-image-2.5-flare"]
    assert rows["gpt-image-1.5"].rstrip().endswith("Azure 2026-12-16")
    assert "(retired)" in rows["gpt-image-1"]


def test_one_model_in_full_with_its_sources(invoke: Callable[..., Result]) -> None:
    result = invoke("models", "gpt-image-2")
    assert result.exit_code == 0
    assert "any WxH with edges multiples of 16, long edge at most 3840" in result.stdout
    assert "formats        Azure: png, jpeg" in result.stdout
    assert "prices: not sourced" in result.stdout and "sizes: rule: REF §11" in result.stdout


def test_json_is_the_resolved_table(invoke: Callable[..., Result], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = invoke("models", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == table_json(shipped_table())
    snapshot = json.loads(invoke("models", "--json", "gpt-image-2-2026-04-21").stdout)
    assert snapshot["extends"] == ["gpt-image-2"] and snapshot["sizes"]["rule"]["multiple_of"] == 16


def test_in_a_project_the_models_section_is_included(project: object, invoke: Callable[..., Result]) -> None:
    Path("promptlib.yaml").write_text(Path("promptlib.yaml").read_text() + (
        "models:\n  gpt-image-3-preview:\n    extends: gpt-image-2\n"
        "    prices: {text_in: 1, image_in: 1, image_out: 9}\n"
    ))  # fmt: skip
    text = invoke("models").stdout
    assert any(line.startswith("gpt-image-3-preview *") and " 9.00 " in line for line in text.splitlines())
    declared = json.loads(invoke("models", "--json").stdout)["models"]["gpt-image-3-preview"]
    assert declared["origin"] == "promptlib.yaml" and declared["prices"]["image_out"] == 9


def test_an_unknown_name_is_a_usage_error(invoke: Callable[..., Result]) -> None:
    result = invoke("models", "gpt-image-9")
    assert result.exit_code == 2 and result.stderr.startswith("error: no model 'gpt-image-9'")
