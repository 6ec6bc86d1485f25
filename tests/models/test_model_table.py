"""The model table: every model the SDK names is in it, every fact has a source, snapshots inherit their family,
each family takes its own sizes and refuses the others', and the shipped file matches its published schema."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import jsonschema
import pytest

from promptlib.cli._schema import json_schemas
from promptlib.core._yaml import parse_yaml
from promptlib.models._capabilities import ModelEntry
from promptlib.models._parameters import ImageParameters
from promptlib.models._rules import parameter_problems, size_problem, stream_problems
from promptlib.models._table import ModelTableError, shipped_table

TABLE_FILE = Path(__file__).resolve().parents[2] / "promptlib" / "models" / "models.yaml"
#: openai 3.57 `types/image_model.py`, less the retired DALL·E models (not GPT Image models).
SDK_MODELS = (
    "gpt-image-1.5", "gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2.5-sunburst",
    "gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-flare", "gpt-image-2.5-flare-2026-09-08",
    "gpt-image-2.6-sunburst", "gpt-image-2.6-flare", "gpt-image-1", "gpt-image-1-mini", "chatgpt-image-latest",
)  # fmt: skip
STANDARD = ("1024x1024", "1536x1024", "1024x1536")
ARBITRARY = ("gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2.5-sunburst", "gpt-image-2.5-sunburst-2026-09-08",
             "gpt-image-2.5-flare", "gpt-image-2.5-flare-2026-09-08")  # fmt: skip
LISTED_ONLY = ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2.6-sunburst", "gpt-image-2.6-flare",
               "chatgpt-image-latest")  # fmt: skip


def _spec(name: str):  # type: ignore[no-untyped-def]
    spec = shipped_table().get(name)
    assert spec is not None, name
    return spec


def test_every_gpt_image_model_of_the_sdk_is_in_the_table() -> None:
    assert set(SDK_MODELS) <= set(shipped_table().names())


@pytest.mark.parametrize("name", SDK_MODELS)
def test_every_fact_of_every_model_names_its_source(name: str) -> None:
    """The closing note of issue 10 lists these: no fact without a file and field, or an 'unsourced' note."""
    entry = _spec(name).entry
    for field in ("sizes", "qualities", "output_formats", "prices", "output_tokens", "retires"):
        assert field in entry.sources, f"{name}: no source for {field}"
    assert all(source.strip() for source in entry.sources.values())


def test_the_shipped_file_matches_its_published_schema() -> None:
    data = parse_yaml(TABLE_FILE.read_text(encoding="utf-8"), TABLE_FILE).data
    jsonschema.validate(json.loads(json.dumps(data, default=str)), json_schemas()["models"])


def test_a_snapshot_inherits_its_family_and_says_so() -> None:
    snapshot = _spec("gpt-image-2.5-flare-2026-09-08")
    assert snapshot.chain == ("gpt-image-2.5-flare", "gpt-image-2.5-sunburst", "gpt-image-2")
    assert snapshot.entry.version == "2026-09-08"
    assert snapshot.entry.qualities == _spec("gpt-image-2.5-sunburst").entry.qualities
    assert snapshot.entry.sizes == _spec("gpt-image-2").entry.sizes


def test_retirement_dates_are_the_sourced_ones() -> None:
    assert _spec("gpt-image-1").retirement("openai") == datetime.date(2026, 10, 23)
    assert _spec("gpt-image-1.5").retirement("azure") == datetime.date(2026, 12, 16)
    assert _spec("gpt-image-1.5").retirement("openai") is None  # not sourced
    assert _spec("gpt-image-2").retirement("azure") is None


@pytest.mark.parametrize("name", LISTED_ONLY)
def test_listed_size_models_take_their_sizes_and_refuse_a_banner(name: str) -> None:
    sizes = _spec(name).entry.sizes
    assert sizes is not None
    for size in (*STANDARD, "auto"):
        assert size_problem(sizes, size, name) is None
    problem = size_problem(sizes, "2048x1152", name)
    assert problem == f"2048x1152 is not a size {name} accepts; it takes 1024x1024, 1536x1024, 1024x1536 or auto"


@pytest.mark.parametrize("name", ARBITRARY)
@pytest.mark.parametrize(
    ("size", "why"),
    [
        ("2048x1152", None),
        ("1536x864", None),
        ("3840x2160", None),  # the SDK's maximum
        ("1024x1024", None),
        ("2000x1008", None),
        ("1000x1000", "multiples of 16"),
        ("4096x1024", "long edge 4096 is over 3840"),
        ("3072x960", "aspect ratio 3.20:1 is over 3:1"),
        ("768x768", "589,824 pixels is outside 655,360–8,294,400"),
    ],
)
def test_arbitrary_size_models_follow_the_size_rule(name: str, size: str, why: str | None) -> None:
    sizes = _spec(name).entry.sizes
    assert sizes is not None
    problem = size_problem(sizes, size, name)
    if why is None:
        assert problem is None
    else:
        assert problem is not None and why in problem and name in problem


@pytest.mark.parametrize(
    ("name", "parameters", "field"),
    [
        ("gpt-image-1.5", {"quality": "xhigh"}, "quality"),  # xhigh and max: 2.5 only
        ("gpt-image-2", {"quality": "max"}, "quality"),
        ("gpt-image-2.6-sunburst", {"quality": "xhigh"}, "quality"),
        ("gpt-image-2.5-flare", {"background": "auto"}, "background"),  # 2.5: opaque or transparent
        ("gpt-image-2", {"output_format": "webp"}, "output_format"),  # on Azure
        ("gpt-image-1.5", {"output_format": "gif"}, "output_format"),  # gif needs preview access: none listed
    ],
)
def test_families_refuse_what_the_others_take(name: str, parameters: dict[str, str], field: str) -> None:
    problems = parameter_problems(ImageParameters(**parameters), "generate", _spec(name), "azure")  # type: ignore[arg-type]
    assert [f for f, _ in problems] == [field]
    assert name in problems[0][1]


def test_what_each_family_does_take() -> None:
    assert not parameter_problems(ImageParameters(quality="max", background="transparent"), "generate",
                                  _spec("gpt-image-2.5-sunburst"), "azure")  # fmt: skip
    assert not parameter_problems(ImageParameters(output_format="webp"), "generate", _spec("gpt-image-2"), "openai")
    assert not parameter_problems(ImageParameters(input_fidelity="low"), "edit", _spec("gpt-image-1-mini"), "azure")
    mini = parameter_problems(ImageParameters(input_fidelity="high"), "edit", _spec("gpt-image-1-mini"), "azure")
    assert mini == [("input_fidelity", "gpt-image-1-mini does not take input_fidelity: high; it takes low")]
    two = parameter_problems(ImageParameters(input_fidelity="low"), "edit", _spec("gpt-image-2"), "azure")
    assert two == [("input_fidelity", "gpt-image-2 does not take input_fidelity; remove it")]


def test_streaming_rules() -> None:
    assert stream_problems(_spec("gpt-image-2"), ImageParameters(), 3) == []
    fields = [f for f, _ in stream_problems(_spec("gpt-image-2"), ImageParameters(n=2, output_format="gif"), 4)]
    assert fields == ["output_format", "n", "partial_images"]


def test_overrides_replace_fields_and_flow_to_snapshots() -> None:
    """A negotiated price for gpt-image-2 holds for its snapshot too; a new snapshot extends its family."""
    overrides = {
        "gpt-image-2": ModelEntry(prices={"text_in": 1, "image_in": 2, "image_out": 3}),  # type: ignore[arg-type]
        "gpt-image-2-2027-01-05": ModelEntry(extends="gpt-image-2", version="2027-01-05"),
    }
    table = shipped_table().with_overrides(overrides)
    for name in ("gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2-2027-01-05"):
        prices = table.models[name].entry.prices
        assert prices is not None and prices.image_out == 3, name
    assert table.models["gpt-image-2"].origin == "table + promptlib.yaml"
    assert table.models["gpt-image-2-2027-01-05"].origin == "promptlib.yaml"
    assert table.models["gpt-image-2-2027-01-05"].entry.sizes == shipped_table().models["gpt-image-2"].entry.sizes
    assert shipped_table().models["gpt-image-2"].entry.prices.image_out == 40  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "model", "words"),
    [
        ({"x": ModelEntry(extends="gpt-image-9")}, "x", "'gpt-image-9' is neither in promptlib's model table"),
        ({"a": ModelEntry(extends="b"), "b": ModelEntry(extends="a")}, "b", "b extends itself (a → b → a)"),
    ],
)
def test_unresolvable_overrides_name_the_entry(overrides: dict[str, ModelEntry], model: str, words: str) -> None:
    with pytest.raises(ModelTableError) as caught:
        shipped_table().with_overrides(overrides)
    assert caught.value.model == model and words in str(caught.value)
